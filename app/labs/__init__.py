"""Labs: one file per lab binding a net, a dataset and probes. Pure torch + numpy."""
