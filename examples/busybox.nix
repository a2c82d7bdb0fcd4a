# busybox (Debian's busybox-static) brought into the store: the only program the world needs.
#
# A directory holding just the `busybox` binary, not the bare file: busybox picks its applet
# from the name it is started as, and a store path's name always starts with its hash, so
# the builder must be `${busybox}/busybox`. The filter keeps busybox alone, so nothing else of
# the host reaches the store or any build. Debian 12 merges /bin into /usr/bin (/bin is a
# symlink there), so the directory is found through the real file.
let
  dir = if builtins.pathExists /usr/bin/busybox then /usr/bin else /bin;
in
builtins.path {
  path = dir;
  name = "busybox";
  filter = path: type: baseNameOf path == "busybox";
}
