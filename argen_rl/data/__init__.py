"""Dataset layer: readers for DFEW / FERV39k / CK+ / plain folders, frame sampling, class
counts, the scarce-class rule (ARGen §3) and the synthetic sample dataset."""
