#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# split_debug.sh MODE FULL OUT: OUT is FULL (an ELF built with -g) stripped,
# its debug information moved the way distributions ship it:
#   build-id  OUT.debug holds the debug information (installed by the tests
#             under DEBUG_ROOT/.build-id/xx/rest.debug)
#   link      OUT.debug too, and OUT names it in .gnu_debuglink (with its CRC)
#   mini      OUT keeps only MiniDebugInfo: the function symbols .dynsym lacks,
#             xz-compressed in .gnu_debugdata (Fedora's recipe)
set -eu
mode=$1 full=$2 out=$3
tmp=$out.tmp
rm -rf "$tmp" && mkdir -p "$tmp"
case $mode in
build-id)
	objcopy --only-keep-debug "$full" "$out.debug"
	strip --strip-all -R .comment "$full" -o "$out"
	;;
link)
	objcopy --only-keep-debug "$full" "$out.debug"
	strip --strip-all -R .comment "$full" -o "$tmp/stripped"
	# objcopy reads the debug file for its CRC by the name it records
	(cd "$(dirname "$out")" && objcopy --add-gnu-debuglink="$(basename "$out").debug" \
		"$(basename "$tmp")/stripped" "$(basename "$tmp")/linked")
	mv "$tmp/linked" "$out"
	;;
mini)
	nm -D "$full" --format=posix --defined-only | awk '{ print $1 }' | sort > "$tmp/dynsyms"
	nm "$full" --format=posix --defined-only |
		awk '{ if ($2 == "T" || $2 == "t" || $2 == "D") print $1 }' | sort > "$tmp/funcsyms"
	comm -13 "$tmp/dynsyms" "$tmp/funcsyms" > "$tmp/keep"
	objcopy --only-keep-debug "$full" "$tmp/debug"
	objcopy -S --remove-section .gdb_index --remove-section .comment \
		--keep-symbols="$tmp/keep" "$tmp/debug" "$tmp/mini"
	xz -q "$tmp/mini"
	strip --strip-all -R .comment "$full" -o "$tmp/stripped"
	objcopy --add-section .gnu_debugdata="$tmp/mini.xz" "$tmp/stripped" "$out"
	;;
*)
	echo "split_debug.sh: unknown mode $mode (build-id, link or mini)" >&2
	exit 64
	;;
esac
rm -rf "$tmp"
