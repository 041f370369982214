#!/usr/bin/env bash
# The boot partition (/boot/firmware, FAT): on a PC, systemd-boot with the kernel and its
# initramfs beside it; on a Pi, raspi-firmware has put the firmware, kernel and config.txt
# there and only the kernel's command line is ours. The root is found by its label.
set -euo pipefail
boot=$ROOTFS/boot/firmware
cmdline="root=LABEL=GALLEY-ROOT ro rootwait fsck.repair=yes"
mkdir -p "$boot"
if [ "$ARCH" = amd64 ]; then
	mkdir -p "$boot/EFI/BOOT" "$boot/loader/entries"
	cp "$ROOTFS/usr/lib/systemd/boot/efi/systemd-bootx64.efi" "$boot/EFI/BOOT/BOOTX64.EFI"
	cp "$(ls "$ROOTFS"/boot/vmlinuz-* | tail -1)" "$boot/vmlinuz"
	cp "$(ls "$ROOTFS"/boot/initrd.img-* | tail -1)" "$boot/initrd.img"
	printf 'timeout 0\ndefault galley.conf\n' >"$boot/loader/loader.conf"
	printf 'title Galley\nlinux /vmlinuz\ninitrd /initrd.img\noptions %s %s\n' \
		"$cmdline" "console=tty0 console=ttyS0,115200" >"$boot/loader/entries/galley.conf"
else
	echo "$cmdline console=serial0,115200 console=tty1" >"$boot/cmdline.txt"
fi
