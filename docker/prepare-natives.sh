#!/bin/sh
# Puts DJL's PyTorch natives on disk at image build time, so a container never extracts or downloads them.
#
#   prepare-natives.sh <quarkus-app dir> <libtorch dir> <DJL cache dir> <flavor: cpu | cu124>
#
# libtorch is unpacked from the pytorch-native jar into <libtorch dir> (the runtime points DJL at it with
# PYTORCH_LIBRARY_PATH) and removed from the jar, so the image holds it once (2.4 GB for CUDA). The JNI
# library goes where DJL looks for it first: <cache>/pytorch/<pytorch version>-<flavor>-<os>/<djl version>-libdjl_torch.so,
# with both versions read from the engine jar. This works on a build machine without a GPU, where DJL's own
# extraction would refuse a CUDA build.
set -eu
app=$1 libdir=$2 cache=$3 flavor=$4
classifier=linux-x86_64

one_jar() {
  found=$(find "$app/lib/main" -name "$1" -type f)
  count=$(printf '%s' "$found" | grep -c . || true)
  if [ "$count" -ne 1 ]; then
    echo "prepare-natives: expected one $1 in $app/lib/main, found $count" >&2
    exit 1
  fi
  printf '%s' "$found"
}

native_jar=$(one_jar 'ai.djl.pytorch.pytorch-native-*.jar')
jni_jar=$(one_jar 'ai.djl.pytorch.pytorch-jni-*.jar')
engine_jar=$(one_jar 'ai.djl.pytorch.pytorch-engine-*.jar')

mkdir -p "$libdir"
unzip -q -j -o "$native_jar" '*.so*' -d "$libdir"
test -f "$libdir/libtorch.so" || { echo "prepare-natives: no libtorch.so in $native_jar" >&2; exit 1; }
# The jar stays listed on Quarkus' class path; without its properties file DJL no longer tries to use it.
zip -q -d "$native_jar" '*.so*' 'native/lib/pytorch.properties' >/dev/null

props=$(unzip -p "$engine_jar" pytorch-engine.properties; echo)
pytorch_version=$(printf '%s\n' "$props" | sed -n 's/^pytorch_version=//p')
djl_version=$(printf '%s\n' "$props" | sed -n 's/^djl_version=//p')
jni_dir="$cache/pytorch/$pytorch_version-$flavor-$classifier"
mkdir -p "$jni_dir"
unzip -p "$jni_jar" "jnilib/$classifier/$flavor/libdjl_torch.so" > "$jni_dir/$djl_version-libdjl_torch.so"
test -s "$jni_dir/$djl_version-libdjl_torch.so" \
  || { echo "prepare-natives: no jnilib/$classifier/$flavor/libdjl_torch.so in $jni_jar" >&2; exit 1; }
echo "prepare-natives: libtorch ($flavor) in $libdir, JNI in $jni_dir"
