import CLinux

/// Whether this processor runs the engine as built. On x86-64 the engine is compiled for the
/// x86-64-v3 level (AVX2 and FMA; see Package.swift): on an older processor its first SIMD
/// instruction would kill the process, so the executables check first. The corresponding C
/// function is `cpuid` (`anneal_cpu_has_x86_64_v3` in the CLinux shim).
public enum CPU {
    /// Whether the processor and the kernel support x86-64-v3 (false on other architectures).
    public static var hasX86_64_v3: Bool {
        #if arch(x86_64)
        return anneal_cpu_has_x86_64_v3() != 0
        #else
        return false
        #endif
    }

    /// Why the engine cannot run here, or nil when it can.
    public static var unsupported: String? {
        #if ANNEAL_ENGINE_X86_64_V3
        if !hasX86_64_v3 {
            return "this build of anneal needs an x86-64-v3 processor (AVX2 and FMA: Intel Haswell or AMD Excavator and later); "
                + "rebuild with ANNEAL_TARGET_CPU=x86-64 for an older one"
        }
        #endif
        return nil
    }
}
