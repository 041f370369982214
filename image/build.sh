#!/usr/bin/env bash
# Builds the Galley appliance from Debian's packages and the project's wheel (see README.md).
#
#   image/build.sh rootfs ARCH DIR   the root filesystem, as a folder DIR (ARCH: amd64 or arm64)
#   image/build.sh disk ARCH DIR     then DIR.img: boot (FAT), root (ext4, read-only), data (ext4)
#
# Stages run in order, pi-gen's layout: stageN/NN-name/ holds `00-packages` (and
# `00-packages-ARCH`: one Debian package a line), `files/` (and `files-ARCH/`: copied over the
# root as they are, before the packages install, so a package finds its configuration) and
# `01-run.sh` (run on the build host after every package is in; $ROOTFS is the root, `chroot
# "$ROOTFS" ...` runs inside). Only Debian's mirror and the Python package index are reached.
# Needs root (mmdebstrap --mode=root), mmdebstrap, mkfs.ext4, mkfs.vfat, mtools, sfdisk; for
# arm64 on a PC also qemu-user-static.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
SUITE=bookworm
MIRROR=${GALLEY_IMAGE_MIRROR:-http://deb.debian.org/debian}
SECURITY=${GALLEY_IMAGE_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
PIP=${PIP:-$REPO/.venv/bin/pip}
# Partition sizes in MiB; the data partition grows to fill the card at first boot.
BOOT_MB=256
DATA_MB=512

usage() { echo "usage: $0 rootfs|disk amd64|arm64 DIR" >&2; exit 2; }
[ $# -ge 3 ] || usage
COMMAND=$1 ARCH=$2 DIR=$(realpath -m "$3")
case $ARCH in amd64) MACHINE=x86_64 ;; arm64) MACHINE=aarch64 ;; *) usage ;; esac

stages() { find "$HERE" -mindepth 2 -maxdepth 2 -path "$HERE/stage*/[0-9][0-9]-*" -type d | sort; }

packages() {
	local step
	for step in $(stages); do
		cat "$step/00-packages" "$step/00-packages-$ARCH" 2>/dev/null || true
	done | sed 's/#.*//' | tr -s ' \n' '\n' | grep . | sort -u | paste -sd, -
}

# The project's wheel and every dependency as wheels for the box's Python (Debian 12: 3.11).
wheelhouse() {
	local out=$1
	rm -rf "$out" && mkdir -p "$out"
	"$PIP" wheel --quiet --no-deps --wheel-dir "$out" "$REPO"
	"$PIP" download --quiet --only-binary=:all: --dest "$out" \
		--python-version 3.11 --implementation cp --abi cp311 --abi abi3 --abi none \
		--platform "manylinux_2_36_$MACHINE" --platform "manylinux_2_28_$MACHINE" \
		--platform "manylinux_2_17_$MACHINE" --platform "manylinux2014_$MACHINE" --platform any \
		"$out"/galley-*.whl
}

# mmdebstrap's setup hook: each stage's files, before any package installs.
copy_files() {
	local root=$1 step
	for step in $(stages); do
		for files in "$step/files" "$step/files-$ARCH"; do
			[ -d "$files" ] && cp -a --no-preserve=ownership "$files/." "$root/"
		done
	done
	return 0
}

# mmdebstrap's customize hook: each stage's 01-run.sh, in order.
run_stages() {
	local step
	for step in $(stages); do
		if [ -x "$step/01-run.sh" ]; then
			echo "== ${step#"$HERE"/}"
			ROOTFS=$1 ARCH=$ARCH REPO=$REPO STEP=$step WHEELS=$2 "$step/01-run.sh"
		fi
	done
}

# Never remove a root that something is still mounted in (a test's bind of /dev, say).
remove() {
	if grep -q " $1/" /proc/mounts; then
		echo "$1 has mounts inside it; unmount them first" >&2
		exit 1
	fi
	rm -rf --one-file-system "$1"
}

build_rootfs() {
	wheelhouse "$DIR.wheels"
	remove "$DIR"
	mmdebstrap --mode=root --variant=apt --arch="$ARCH" --format=directory \
		--components="main non-free-firmware" \
		--include="$(packages)" \
		--aptopt='APT::Install-Recommends "false"' \
		--dpkgopt='force-confold' \
		--setup-hook="'$HERE/build.sh' copy-files $ARCH \"\$1\"" \
		--customize-hook="'$HERE/build.sh' run-stages $ARCH \"\$1\" '$DIR'" \
		"$SUITE" "$DIR" \
		"deb $MIRROR $SUITE main non-free-firmware" \
		"deb $MIRROR $SUITE-updates main non-free-firmware" \
		"deb $SECURITY $SUITE-security main non-free-firmware"
}

# The card: a FAT boot partition (labelled GALLEY-BOOT: kernel, boot loader, the technician's
# files), the read-only root (GALLEY-ROOT) and the data partition (GALLEY-DATA). The partitions
# are made from folders (mkfs.ext4 -d, mtools), so nothing is mounted on the build host.
build_disk() {
	local work=$DIR.parts image=$DIR.img
	remove "$work" && mkdir -p "$work/data" "$work/boot"
	cp -a "$DIR/data/." "$work/data/"
	cp -a "$DIR/boot/firmware/." "$work/boot/"
	local root_mb
	root_mb=$(($(du -sm --exclude=./data --exclude=./boot/firmware "$DIR" | cut -f1) * 13 / 10 + 64))
	local data_mb=$((DATA_MB > $(du -sm "$work/data" | cut -f1) * 2 ? DATA_MB : $(du -sm "$work/data" | cut -f1) * 2))

	mkfs.vfat -F 32 -n GALLEY-BOOT -C "$work/boot.img" $((BOOT_MB * 1024)) >/dev/null
	MTOOLS_SKIP_CHECK=1 mcopy -s -i "$work/boot.img" "$work/boot/"* ::/
	# The root without the two other partitions' contents (their mount points stay, empty).
	mkdir -p "$work/root" && tar -C "$DIR" --exclude=./data/* --exclude=./boot/firmware/* -cf - . |
		tar -C "$work/root" -xf -
	mkfs.ext4 -q -L GALLEY-ROOT -d "$work/root" "$work/root.img" "${root_mb}M" >/dev/null
	mkfs.ext4 -q -L GALLEY-DATA -d "$work/data" "$work/data.img" "${data_mb}M" >/dev/null

	local table
	if [ "$ARCH" = amd64 ]; then # GPT for UEFI; the boot partition is the EFI system partition
		table="label: gpt
size=${BOOT_MB}MiB, type=uefi, name=GALLEY-BOOT
size=${root_mb}MiB, type=linux, name=GALLEY-ROOT
size=${data_mb}MiB, type=linux, name=GALLEY-DATA"
	else # the Pi's firmware reads a FAT32 first partition of an MBR table
		table="label: dos
size=${BOOT_MB}MiB, type=c, bootable
size=${root_mb}MiB, type=83
size=${data_mb}MiB, type=83"
	fi
	rm -f "$image"
	truncate -s $((1 + BOOT_MB + root_mb + data_mb + 1))M "$image"
	echo "$table" | sfdisk --quiet "$image"
	local part=1
	for name in boot root data; do
		local start
		start=$(sfdisk --json "$image" | python3 -c "import json,sys; print(json.load(sys.stdin)['partitiontable']['partitions'][$part - 1]['start'])")
		dd if="$work/$name.img" of="$image" bs=512 seek="$start" conv=notrunc,sparse status=none
		part=$((part + 1))
	done
	remove "$work"
	echo "$image: $(du -h --apparent-size "$image" | cut -f1) (boot ${BOOT_MB} MiB, root ${root_mb} MiB, data ${data_mb} MiB)"
}

case $COMMAND in
rootfs) build_rootfs ;;
disk) build_disk ;;
copy-files) copy_files "$DIR" ;;
run-stages) run_stages "$3" "$(realpath -m "$4").wheels" ;;
*) usage ;;
esac
