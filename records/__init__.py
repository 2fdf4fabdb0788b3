"""Lemari: the digital filing cabinet and document desk of a kantor kecamatan."""
