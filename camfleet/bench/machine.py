"""Describe the machine a benchmark ran on, so every number carries its origin."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from dataclasses import dataclass

import psutil

__all__ = ["MachineInfo", "describe_machine"]


@dataclass(frozen=True, slots=True)
class MachineInfo:
    cpu_model: str
    cores: int
    memory_gb: float
    gpu_name: str | None
    gpu_count: int
    gpu_memory_gb: float | None

    @property
    def summary(self) -> str:
        gpu = (
            f"{self.gpu_count}x {self.gpu_name} ({self.gpu_memory_gb:.0f} GiB)"
            if self.gpu_name
            else "no GPU"
        )
        return f"{self.cores}-core {self.cpu_model}, {self.memory_gb:.0f} GiB, {gpu}"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _gpus() -> tuple[str | None, int, float | None]:
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return None, 0, None
    try:
        out = subprocess.run(
            [smi, "--query-gpu=name,memory.total", "--format=csv,noheader,nounits"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip().splitlines()
    except (OSError, subprocess.SubprocessError):
        return None, 0, None
    if not out:
        return None, 0, None
    name, memory_mib = (part.strip() for part in out[0].split(",", 1))
    return name, len(out), float(memory_mib) / 1024.0


def describe_machine() -> MachineInfo:
    gpu_name, gpu_count, gpu_memory = _gpus()
    return MachineInfo(
        cpu_model=_cpu_model(),
        cores=os.cpu_count() or 1,
        memory_gb=psutil.virtual_memory().total / 2**30,
        gpu_name=gpu_name,
        gpu_count=gpu_count,
        gpu_memory_gb=gpu_memory,
    )
