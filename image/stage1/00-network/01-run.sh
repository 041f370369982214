#!/usr/bin/env bash
# Network by systemd-networkd (DHCP on every wired port), names by resolved, mDNS by avahi, time
# by timesyncd with fake-hwclock for a box without a battery-backed clock. SSH is enabled but
# starts only when the technician's `ssh` file is on the boot partition (ssh.service.d).
set -euo pipefail
chroot "$ROOTFS" systemctl enable systemd-networkd systemd-resolved systemd-timesyncd \
	avahi-daemon fake-hwclock ssh
ln -sf ../run/systemd/resolve/stub-resolv.conf "$ROOTFS/etc/resolv.conf"
# Every box makes its own host keys at first boot (galley-firstboot), never shares the image's.
rm -f "$ROOTFS"/etc/ssh/ssh_host_*
echo galley >"$ROOTFS/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tgalley\n::1\tlocalhost ip6-localhost ip6-loopback\n' \
	>"$ROOTFS/etc/hosts"
