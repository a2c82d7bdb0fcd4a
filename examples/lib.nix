# `run name script` or `run name { script; …attributes }`: a derivation whose builder is
# busybox's sh running `script`. In busybox's shell every applet (mkdir, cat, sed, wget…) is
# found without PATH, which the sandbox leaves unset.
let
  busybox = import ./busybox.nix;
in
{
  inherit busybox;

  run = name: scriptOrAttrs:
    let
      attrs = if builtins.isString scriptOrAttrs then { script = scriptOrAttrs; } else scriptOrAttrs;
    in
    derivation (removeAttrs attrs [ "script" ] // {
      inherit name;
      system = builtins.currentSystem;
      builder = "${busybox}/busybox";
      args = [ "sh" "-e" "-c" attrs.script ];
    });
}
