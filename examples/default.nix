# The test world: derivations built by busybox alone, with no network, so that `tvix build`
# and `nix-build` can build them side by side and be compared. Every derivation here is
# deterministic except `broken`, which fails on purpose.
#
# `fixed` downloads served/greeting.txt from a local HTTP server at TVIX_WORLD_URL (or
# `--argstr url …`); see README.md.
{ url ? builtins.getEnv "TVIX_WORLD_URL" }:
let
  inherit (import ./lib.nix) run;

  # a → b, c → d: d depends on a twice over, and on b and c.
  diamondPart = name: deps: run name ''
    mkdir $out
    echo ${name} > $out/name
    for dep in ${toString deps}; do cat $dep/name >> $out/seen; echo $dep >> $out/deps; done
  '';
  diamondA = diamondPart "diamond-a" [ ];
  diamondB = diamondPart "diamond-b" [ diamondA ];
  diamondC = diamondPart "diamond-c" [ diamondA ];
in
{
  # One output, a single file.
  hello = run "hello" ''
    echo "Hello, world!" > $out
  '';

  # Several outputs; `dev` refers to `out` and `doc` to nothing.
  multi = run "multi" {
    outputs = [ "out" "dev" "doc" ];
    script = ''
      mkdir -p $out/bin $dev/include $doc
      printf '#!/bin/sh\necho multi\n' > $out/bin/multi
      chmod +x $out/bin/multi
      echo "#define MULTI \"$out/bin/multi\"" > $dev/include/multi.h
      echo "multi: several outputs" > $doc/README
      ln -s ../include/multi.h $dev/include/link.h
    '';
  };

  # a → b → c, each refers to the one before.
  chain =
    let
      a = run "chain-a" "echo a > $out";
      b = run "chain-b" "{ cat ${a}; echo b; echo ${a}; } > $out";
    in
    run "chain-c" "{ cat ${b} | head -2; echo c; echo ${b}; } > $out";

  diamond = diamondPart "diamond-d" [ diamondB diamondC ];

  # `text` reaches the builder as a file named by its hash ($textPath), not as a variable.
  passAsFile = run "pass-as-file" {
    passAsFile = [ "text" ];
    text = "passed as a file\nwith two lines\n";
    script = ''
      mkdir $out
      cp "$textPath" $out/text
      echo "$textPath" > $out/text-path
      echo "text is ''${text-unset}" > $out/variable
    '';
  };

  # Structured attributes: no variables but the defaults; the builder reads .attrs.json
  # (here with sed: busybox has no JSON parser) to find its output.
  structured = run "structured" {
    __structuredAttrs = true;
    numbers = [ 1 2 3 ];
    nested = { flag = true; text = "structured \"quoted\""; };
    script = ''
      out=$(sed -n 's/.*"out": *"\([^"]*\)".*/\1/p' .attrs.json)
      mkdir $out
      cp .attrs.json $out/attrs.json
      echo "out is ''${out}, PWD is $PWD" > $out/where
    '';
  };

  # A fixed-output derivation: the only kind that may use the network.
  fixed = run "greeting.txt" {
    outputHashMode = "flat";
    outputHashAlgo = "sha256";
    outputHash = "546ee652964198780a9d889527a89af26a91e2d8fd031cdd29732287983d628b";
    url = if url != "" then "${url}/greeting.txt" else throw "fixed needs the test HTTP server: set TVIX_WORLD_URL or pass --argstr url URL (see examples/README.md)";
    script = ''
      wget -q -O $out "$url"
    '';
  };

  # Fails after writing to its log, for failure handling and --keep-going.
  broken = run "broken" ''
    echo "about to fail" >&2
    exit 3
  '';
}
