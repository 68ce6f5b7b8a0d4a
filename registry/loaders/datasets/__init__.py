"""Dataset-specific converters: one module per source layout, each registered under its entry id."""

from __future__ import annotations

from . import (  # noqa: F401  (importing registers the converters)
    acouslic_ai,
    aul,
    bite,
    bus_bra,
    busi,
    camus,
    carotid_plaque,
    cubs,
    ddti,
    echonet_dynamic,
    echonet_lvh,
    echonet_pediatric,
    erdes,
    fass,
    fatty_liver_bmode,
    fm_uia,
    gbcu,
    gist514,
    hc18,
    microseg,
    mmotu,
    open_kidney,
    pocus_covid19,
    porcine_spinal_cord,
    psfhs,
    resect,
    ubpd,
    tn3k,
)
