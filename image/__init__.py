"""The appliance image's own programs, installed as scripts into the image's root, run there with
Debian's python3 and outside any Galley release: `update` (galley-update) and `first_boot`
(galley-first-boot). Standard library only. Importable here so that the tests and the linters
reach them; never part of the galley wheel."""
