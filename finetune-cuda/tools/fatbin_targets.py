#!/usr/bin/env python3
"""Lists the GPU code a CUDA shared library carries: which sm_XX cubins (ELF) and which PTX, per fat binary.

Made CudaRequirements.NATIVE_TARGETS for ND4J 1.0.0-M2.1:
  unzip -p ~/.m2/repository/org/nd4j/nd4j-cuda-11.6/1.0.0-M2.1/nd4j-cuda-11.6-1.0.0-M2.1-linux-x86_64.jar \
      org/nd4j/linalg/jcublas/bindings/linux-x86_64/libnd4jcuda.so > /tmp/libnd4jcuda.so
  python3 finetune-cuda/tools/fatbin_targets.py /tmp/libnd4jcuda.so
printed: 228 fat binaries; ELF sm_37, 50, 52, 60, 61, 70, 75, 80, 86 (228 each); no PTX.
Layout read: fatbin header (magic 0xBA55ED50, u16 version, u16 header size, u64 size), then entries
(u16 kind 1=PTX 2=ELF, u16 version, u32 header size, u64 padded size, ..., u32 sm version at offset 28).
"""
import collections
import mmap
import struct
import sys


def sections(m):
    shoff = struct.unpack_from('<Q', m, 0x28)[0]
    shentsize, shnum, shstrndx = struct.unpack_from('<HHH', m, 0x3A)
    header = lambda i: struct.unpack_from('<IIQQQQIIQQ', m, shoff + i * shentsize)
    names = header(shstrndx)[4]
    out = {}
    for i in range(shnum):
        h = header(i)
        name = m[names + h[0]:m.find(b'\0', names + h[0])].decode()
        out[name] = (h[4], h[5])
    return out


def main(path):
    with open(path, 'rb') as f:
        m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        off, size = sections(m)['.nv_fatbin']
        kinds = collections.Counter()
        pos, end, count = off, off + size, 0
        while pos < end:
            magic, _, hsize, fsize = struct.unpack_from('<IHHQ', m, pos)
            if magic != 0xBA55ED50:
                pos += 8
                continue
            count += 1
            p, e = pos + hsize, pos + hsize + fsize
            while p < e:
                kind, _, ehsize, padded, _, _, _, sm = struct.unpack_from('<HHIQIIII', m, p)
                kinds[({1: 'PTX', 2: 'ELF'}.get(kind, str(kind)), sm)] += 1
                p += ehsize + padded
            pos = e
        print(count, 'fat binaries')
        for (kind, sm), n in sorted(kinds.items()):
            print(f'{kind} sm_{sm}: {n}')


if __name__ == '__main__':
    main(sys.argv[1])
