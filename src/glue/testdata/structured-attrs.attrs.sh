declare big=1
declare bigf=-2147483648
declare bool=1
declare builder='/nix/store/d0x4sjwksanirbaxlb05009gy5lvia3q-bb/bin/busybox'
declare ctl='x01'
declare -a emptyl=()
declare -A emptys=()
declare f=
declare flint=3
declare int=42
declare -a list=(1 'two' 1 '' )
declare name='sa'
declare neg=-3
declare nul=''
declare -A outputs=(['dev']='/nix/store/4s48svmx4ik7rm4s3jk71kspd1k283vj-sa-dev' ['out']='/nix/store/pw8g4388rjr6jjfsj690n1i9j4valmfp-sa' )
declare -A set=(['a']=1 ['b c']='x'\''y' )
declare str='it'\''s a "string"
	tab'
declare system='x86_64-linux'
declare unicode='é ü'
