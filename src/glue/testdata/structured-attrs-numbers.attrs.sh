declare a=-2147483648
declare builder='/nix/store/d0x4sjwksanirbaxlb05009gy5lvia3q-bb/bin/busybox'
declare ctl='/'
declare d=123457
declare g=-2147483648
declare h=100
declare -a impureEnvVars=('A' )
declare j=-2147483648
declare k=-7
declare name='sa2'
declare -A outputs=(['out']='/nix/store/yr5az8i0mavdm08rd816xh960iigyna9-sa2' )
declare system='x86_64-linux'
