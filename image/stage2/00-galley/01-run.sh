#!/usr/bin/env bash
# Galley: its user, units, udev rule, tmpfiles and journald limits from systemd/, the update and
# first-boot programs, and the first release installed from the wheels like any later update.
set -euo pipefail
units=$REPO/systemd
install -m 644 "$units"/*.service "$ROOTFS/usr/lib/systemd/system/"
install -m 644 "$units/galley.tmpfiles" "$ROOTFS/usr/lib/tmpfiles.d/galley.conf"
install -m 644 "$units/galley.sysusers" "$ROOTFS/usr/lib/sysusers.d/galley.conf"
install -m 644 "$units/99-galley-printers.rules" "$ROOTFS/usr/lib/udev/rules.d/"
install -D -m 644 "$units/galley-journald.conf" "$ROOTFS/etc/systemd/journald.conf.d/galley.conf"
install -m 755 "$REPO/image/update.py" "$ROOTFS/usr/local/sbin/galley-update"
install -m 755 "$REPO/image/first_boot.py" "$ROOTFS/usr/local/sbin/galley-first-boot"
chroot "$ROOTFS" systemd-sysusers
chroot "$ROOTFS" chown galley:galley /data/galley
chmod 0750 "$ROOTFS/data/galley"

rm -rf "$ROOTFS/tmp/wheels" && cp -r "$WHEELS" "$ROOTFS/tmp/wheels"
chroot "$ROOTFS" /usr/local/sbin/galley-update install /tmp/wheels
rm -rf "$ROOTFS/tmp/wheels"
chroot "$ROOTFS" systemctl enable galley-firstboot galley-update-recover galley-setup \
	galley-edge galley-enrol
