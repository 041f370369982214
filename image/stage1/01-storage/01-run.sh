#!/usr/bin/env bash
# Read-only root, data on its own partition. What must survive a reboot lives under /data (the
# GALLEY-DATA partition) and is bind-mounted where programs look for it: the edge's data
# (/var/lib/galley), the journal, systemd's state (clock, random seed). The releases of Galley
# are there too (/opt/galley links to /data/app), so an update never writes the root. Scratch
# space is in memory. The machine id is made at first boot (galley-firstboot keeps it).
set -euo pipefail
cat >"$ROOTFS/etc/fstab" <<'FSTAB'
LABEL=GALLEY-ROOT  /                 ext4   ro,noatime,errors=remount-ro              0 1
LABEL=GALLEY-BOOT  /boot/firmware    vfat   rw,noatime,umask=0022,flush               0 2
LABEL=GALLEY-DATA  /data             ext4   rw,noatime,commit=5,errors=remount-ro     0 2
/data/galley       /var/lib/galley   none   bind,x-systemd.requires-mounts-for=/data  0 0
/data/systemd      /var/lib/systemd  none   bind,x-systemd.requires-mounts-for=/data  0 0
tmpfs              /var/log          tmpfs  mode=0755,size=16M                        0 0
/data/journal      /var/log/journal  none   bind,x-systemd.requires-mounts-for=/data  0 0
tmpfs              /tmp              tmpfs  mode=1777,size=64M                        0 0
tmpfs              /var/tmp          tmpfs  mode=1777,size=16M                        0 0
FSTAB
mkdir -p "$ROOTFS"/data/{app/releases,galley,journal,systemd} "$ROOTFS"/var/lib/galley
cp -a "$ROOTFS/var/lib/systemd/." "$ROOTFS/data/systemd/"
chown root:systemd-journal "$ROOTFS/data/journal"
chmod 2755 "$ROOTFS/data/journal"
ln -sfn /data/app "$ROOTFS/opt/galley"
echo 'FILE=/data/fake-hwclock.data' >"$ROOTFS/etc/default/fake-hwclock"
: >"$ROOTFS/etc/machine-id"
