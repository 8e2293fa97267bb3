"""Sanctions lists: versioned imports of OFAC, UN, EU and OpenSanctions (FtM) lists."""
