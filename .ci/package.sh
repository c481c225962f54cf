#!/usr/bin/env bash
# The NuGet package, end to end, from a fresh clone and with no standard input: pack the solution, check the
# package's files, then build tests/Consumer (a project outside the solution that gets ModelGen only from the local
# folder artifacts/packages) with every warning an error and its analyzers on, run it, publish it with NativeAOT
# (trimming and AOT warnings are errors) and run the native binary. Each run must print a finite loss that falls.
# The consumer restores into an empty NuGet packages folder, so a file missing from the package fails here rather
# than being found in a cache. Exit status 0 when everything passed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
step() { echo; echo "== $* ($(date +%H:%M:%S))"; }
fail() { echo "package.sh: $*" >&2; exit 1; }

list_zip() { # the entries of a zip file (a .nupkg or .snupkg), one a line
  if command -v unzip >/dev/null 2>&1; then unzip -Z1 "$1"
  else python3 -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$1"; fi
}

step "pack: dotnet pack ModelGen.sln -c Release"
rm -rf artifacts/packages
dotnet pack ModelGen.sln -c Release -warnaserror -nologo -clp:NoSummary
version=$(dotnet msbuild src/Runtime/ModelGen.Runtime.csproj -nologo -getProperty:PackageVersion)
nupkg=artifacts/packages/ModelGen.$version.nupkg
snupkg=artifacts/packages/ModelGen.$version.snupkg
[ -f "$nupkg" ] || fail "no $nupkg"
[ -f "$snupkg" ] || fail "no $snupkg"
ls -l artifacts/packages
others=$(ls artifacts/packages | grep -vxF -e "ModelGen.$version.nupkg" -e "ModelGen.$version.snupkg" || true)
[ -z "$others" ] || fail "dotnet pack made packages besides ModelGen (set IsPackable=false): $others"
list_zip "$snupkg" > "$work/snupkg.txt"
for entry in lib/net10.0/ModelGen.Runtime.pdb analyzers/dotnet/cs/ModelGen.Generator.pdb; do
  grep -qx "$entry" "$work/snupkg.txt" || fail "$snupkg has no $entry"
done
if ls artifacts/packages | grep -v -E "^ModelGen\.$version\.s?nupkg$"; then fail "unexpected packages above"; fi

# The consumer restores into an empty packages folder: ModelGen from artifacts/packages (its nuget.config maps the
# id to that folder only), everything else (System.Numerics.Tensors, the NativeAOT packs) from the usual feed.
export NUGET_PACKAGES="$work/nuget-packages"
consumer=tests/Consumer
rm -rf "$consumer/bin" "$consumer/obj"

step "consumer: build (warnings are errors, all analyzers on)"
dotnet build "$consumer" -c Release -warnaserror -nologo -clp:NoSummary -p:ModelGenVersion="$version"

step "consumer: the restored package"
extracted="$NUGET_PACKAGES/modelgen/$version"
for file in lib/net10.0/ModelGen.Runtime.dll lib/net10.0/ModelGen.Runtime.xml analyzers/dotnet/cs/ModelGen.Generator.dll \
            README.md LICENSE; do
  [ -f "$extracted/$file" ] || fail "the restored package has no $file"
done
grep -q "\"source\": *\"$root/artifacts/packages/\?\"" "$extracted/.nupkg.metadata" \
  || fail "ModelGen was not restored from $root/artifacts/packages: $(cat "$extracted/.nupkg.metadata")"
echo "ModelGen $version restored from artifacts/packages: $(cd "$extracted" && find . -type f ! -name '.*' | sort | tr '\n' ' ')"

losses_fall() { # FILE: every "<model>: loss FIRST -> LAST" line has finite losses and LAST < 0.8 · FIRST; two models
  awk '
    / loss [^ ]+ -> [^ ]+ / {
      for (i = 1; i < NF; i++) if ($i == "loss") { first = $(i + 1); last = $(i + 3) }
      n++
      finite = first ~ /^[0-9]+(\.[0-9]+)?$/ && last ~ /^[0-9]+(\.[0-9]+)?$/
      if (!finite || !(last + 0 < 0.8 * first)) { print "loss does not fall (or is not finite): " $0; bad = 1 }
    }
    END { if (n != 2) { print "expected 2 loss lines, found " n; bad = 1 } exit bad }' "$1"
}

step "consumer: run (JIT)"
dotnet run --project "$consumer" -c Release --no-build 2>&1 | tee "$work/jit.txt" || fail "the consumer failed"
losses_fall "$work/jit.txt" || fail "JIT run"

step "consumer: publish with NativeAOT (warnings are errors) and run"
dotnet publish "$consumer" -c Release -r linux-x64 -warnaserror -nologo -clp:NoSummary -p:ModelGenVersion="$version" -o "$work/aot"
"$work/aot/consumer" 2>&1 | tee "$work/aot.txt" || fail "the NativeAOT consumer failed"
losses_fall "$work/aot.txt" || fail "NativeAOT run"

echo
echo "package: ModelGen $version packed, consumed from the local feed, built, trained, published with NativeAOT"
