#!/usr/bin/env bash
# Builds the images the docker engine's tests and examples need, from what this Debian host
# has installed, since no registry is reachable. Idempotent: an image already built by this
# script's current version is left alone.
#
#   skiff-test/busybox:1   a busybox-static root (sh, httpd, nc, wget, nslookup, sleep)
#   python:3.11-slim       a stand-in for the Docker Hub image the seed's Dockerfile names:
#                          the host's python3 with its libraries, pip and flask (so the seed's
#                          `RUN pip install flask` is satisfied without an index), a busybox
#                          /bin/sh for RUN steps, and no EXTERNALLY-MANAGED marker.
set -euo pipefail

version=3  # bump when what goes into an image changes
docker=${DOCKER:-docker}

have() {  # have IMAGE: built by this version of the script
  [ "$($docker image inspect -f '{{index .Config.Labels "io.skiff.test-image"}}' "$1" 2>/dev/null)" = "$version" ]
}

for bin in busybox python3; do
  [ -x "/usr/bin/$bin" ] || [ -x "/bin/$bin" ] || { echo "make_images.sh: $bin is missing (apt-get install busybox-static python3 python3-flask python3-pip)" >&2; exit 1; }
done
busybox=$(command -v busybox)
file -L "$busybox" 2>/dev/null | grep -q 'statically linked' || ldd "$busybox" 2>&1 | grep -q 'not a dynamic' || {
  echo "make_images.sh: $busybox is not static (apt-get install busybox-static)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

busybox_root() {  # busybox_root DIR: /bin/busybox and a link per applet
  mkdir -p "$1/bin" "$1/tmp" "$1/etc"
  cp "$busybox" "$1/bin/busybox"
  for applet in $("$busybox" --list); do
    [ -e "$1/bin/$applet" ] || ln -s busybox "$1/bin/$applet"
  done
  chmod 1777 "$1/tmp"
  echo 'root:x:0:0:root:/root:/bin/sh' > "$1/etc/passwd"
  echo 'root:x:0:' > "$1/etc/group"
}

if ! have skiff-test/busybox:1; then
  root=$work/busybox
  busybox_root "$root"
  tar -C "$root" -c . | $docker import \
    --change "LABEL io.skiff.test-image=$version" \
    --change 'ENV PATH=/bin' \
    --change 'CMD ["/bin/sh"]' - skiff-test/busybox:1 >/dev/null
  echo "built skiff-test/busybox:1"
fi

if ! have python:3.11-slim; then
  /usr/bin/python3 -c "import flask, pip" 2>/dev/null || {
    echo "make_images.sh: the host needs python3-flask and python3-pip" >&2; exit 1; }
  root=$work/python
  busybox_root "$root"
  rm -f "$root/bin/python" "$root/bin/python3"
  mkdir -p "$root/usr/bin" "$root/usr/lib/python3/dist-packages" "$root/usr/local/bin"
  py=$(readlink -f /usr/bin/python3)
  cp "$py" "$root/usr/bin/"
  ln -s "$(basename "$py")" "$root/usr/bin/python3"
  ln -s python3 "$root/usr/bin/python"
  stdlib=$(/usr/bin/python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
  mkdir -p "$root$stdlib"
  tar -C "$stdlib" -c --exclude=./test --exclude=./idlelib --exclude=./tkinter \
    --exclude=./turtledemo --exclude=./ensurepip --exclude=./lib2to3 --exclude=./pydoc_data \
    --exclude=./EXTERNALLY-MANAGED . | tar -C "$root$stdlib" -x
  dist=/usr/lib/python3/dist-packages
  for pkg in flask werkzeug jinja2 markupsafe itsdangerous click blinker pip; do
    for p in "$dist/$pkg" "$dist"/"${pkg}"-*info "$dist"/"${pkg^}"-*info "$dist"/Flask-*info \
             "$dist"/Werkzeug-*info "$dist"/Jinja2-*info "$dist"/MarkupSafe-*info; do
      [ -e "$p" ] && cp -a "$p" "$root$dist/" 2>/dev/null || true
    done
  done
  printf '#!/usr/bin/python3\nimport sys\nfrom pip._internal.cli.main import main\nsys.exit(main())\n' \
    > "$root/usr/bin/pip"
  chmod 755 "$root/usr/bin/pip"
  ln -s pip "$root/usr/bin/pip3"
  # The shared libraries python and its extension modules load, with the loader.
  { ldd "$py"; find "$root$stdlib" "$root$dist" -name '*.so' -exec ldd {} \; ; } 2>/dev/null |
    awk '/=> \// {print $3} /^\s*\/lib/ {print $1}' | sort -u | while read -r lib; do
      mkdir -p "$root$(dirname "$lib")"
      cp -L "$lib" "$root$lib"
    done
  loader=$(ldd "$py" | awk '/ld-linux/ {print $1}')
  mkdir -p "$root$(dirname "$loader")"
  cp -L "$loader" "$root$loader"
  # Debian's merged /usr: /lib -> usr/lib as on the host.
  if [ -d "$root/lib" ] && [ -d "$root/usr/lib" ] && [ -L /lib ]; then
    cp -a "$root/lib/." "$root/usr/lib/" && rm -rf "$root/lib" && ln -s usr/lib "$root/lib"
  fi
  if [ -d "$root/lib64" ] && [ -L /lib64 ]; then
    mkdir -p "$root/usr/lib64" && cp -a "$root/lib64/." "$root/usr/lib64/" && rm -rf "$root/lib64" && ln -s usr/lib64 "$root/lib64"
  fi
  tar -C "$root" -c . | $docker import \
    --change "LABEL io.skiff.test-image=$version" \
    --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore' \
    --change 'CMD ["python3"]' - python:3.11-slim >/dev/null
  echo "built python:3.11-slim (stand-in)"
fi
