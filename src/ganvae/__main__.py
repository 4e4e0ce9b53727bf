"""`python -m ganvae`: the command line (what `torchrun --nproc-per-node N -m ganvae train ...` runs)."""

from ganvae.cli import main

if __name__ == "__main__":
    main()
