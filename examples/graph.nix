# The build benchmark's graph: 200 small derivations. One root fans out to 18 chains of 11
# derivations each, and one top derivation depends on the ends of all chains; every derivation
# writes a small output naming itself and referring to what it depends on.
{ chains ? 18, length ? 11 }:
let
  inherit (import ./lib.nix) run;

  node = name: deps: run name ''
    mkdir $out
    echo ${name} > $out/name
    for dep in ${toString deps}; do echo $dep >> $out/deps; done
  '';

  root = node "graph-root" [ ];
  chain = c: builtins.foldl' (previous: i: node "graph-${toString c}-${toString i}" [ previous ]) root (builtins.genList (i: i) length);
in
node "graph-top" (builtins.genList chain chains)
