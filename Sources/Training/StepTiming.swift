import JSON

/// Where a data-parallel run's steps spend their time, over a logging window: the forward and
/// backward on this rank's shard, and the gradient sum over the ranks. Reported with the train
/// metrics (`compute_seconds`, `allreduce_seconds`, per step) for scaling figures and tuning.
struct StepTiming {
    private var compute = 0.0, allreduce = 0.0, steps = 0

    mutating func add(compute: Duration, allreduce: Duration) {
        self.compute += compute.seconds
        self.allreduce += allreduce.seconds
        steps += 1
    }

    /// The window's means per step; none in one process.
    func metrics(ranks: Int?) -> [(String, JSONValue)] {
        guard let ranks, steps > 0 else { return [] }
        return [("ranks", .int(Int64(ranks))), ("compute_seconds", .double(compute / Double(steps))),
                ("allreduce_seconds", .double(allreduce / Double(steps)))]
    }
}

extension Duration {
    /// In seconds, for figures and rates (the training loop's windows, calibration, step timing).
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
    }
}
