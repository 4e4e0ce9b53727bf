"""Signals in one process (`ganvae.stopping`): the training loop's patience in a `--jobs` worker and the CLI's
line for a bare KeyboardInterrupt. The real processes are in tests/integration/test_cli_stop.py."""

from __future__ import annotations

import os
import signal

import pytest
import typer

from ganvae import stopping
from ganvae.cli_common import _command
from ganvae.errors import Stopped


def _two_sigterms(monkeypatch, patient: bool):
    from ganvae.training.loop import _stop_signals, _StopFlag

    monkeypatch.setattr(stopping, "_PATIENT", patient)
    flag = _StopFlag()
    with stopping.stopping(), _stop_signals(flag):
        os.kill(os.getpid(), signal.SIGTERM)  # the handler runs before the next line
        assert flag.signum == signal.SIGTERM
        os.kill(os.getpid(), signal.SIGTERM)
    return flag


def test_a_second_signal_stops_the_loop_at_once(monkeypatch):
    with pytest.raises(Stopped) as info:
        _two_sigterms(monkeypatch, patient=False)
    assert info.value.signum == signal.SIGTERM


def test_a_worker_ignores_a_second_signal_in_its_loop(monkeypatch):
    # SLURM's SIGTERM and then the parent's: the step still finishes and checkpoints
    try:
        flag = _two_sigterms(monkeypatch, patient=True)
    except Stopped:  # a KeyboardInterrupt: let it fail this test, not end pytest's session
        pytest.fail("the second SIGTERM cut the worker's step short")
    assert flag.signum == signal.SIGTERM


def test_a_bare_keyboard_interrupt_is_ctrl_c(capsys):
    @_command
    def command() -> None:
        raise KeyboardInterrupt  # not raised by ganvae's handler: a library's, or Python's own

    with pytest.raises(typer.Exit) as info:
        try:
            command()
        except KeyboardInterrupt:
            pytest.fail("the KeyboardInterrupt escaped the command")
    assert info.value.exit_code == 130
    assert capsys.readouterr().err == "stopped by SIGINT\n"
