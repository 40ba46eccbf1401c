import Glibc
import JSON
import Platform

/// `anneal jobs follow ID`: the job's events as they happen and, on a terminal, a progress bar
/// (step, loss, throughput, ETA) redrawn in place below them; plain lines otherwise. Exits
/// 0 when the job succeeds, 1 when it fails, 3 when it is cancelled.
struct Follow {
    let client: APIClient
    let job: String
    let terminal = isatty(1) == 1

    private var status = "", step = 0, total = 0, percent = 0.0, finish: Int?
    private var loss: Double?, throughput: String?, lastPlain = -1.0

    init(client: APIClient, job: String) { (self.client, self.job) = (client, job) }

    mutating func run() -> Never {
        var lastID: String?, failures = 0
        var outcome: String?
        while outcome == nil {
            do {
                let result = try client.events("/v1/fine_tuning/jobs/\(job)/events?stream=true", lastEventID: lastID) { event, _, data in
                    outcome = handle(event, data)
                    return outcome == nil
                }
                lastID = result.lastID
                failures = 0
            } catch {
                failures += 1
                if failures > 30 { finishLine(); fail("lost the event stream: \(error)") }
                line("(reconnecting: \(error))")
                sleep(seconds: 1)
            }
        }
        finishLine()
        let final = client.call("GET", "/v1/fine_tuning/jobs/\(job)")
        switch outcome {
        case "succeeded":
            print("Job \(job) succeeded: \(final["fine_tuned_model"]?.string ?? "")")
            Console.exit(0)
        case "cancelled":
            print("Job \(job) was cancelled")
            Console.exit(3)
        default:
            print("Job \(job) \(outcome ?? "ended"): \(final["error"]?["message"]?.string ?? "")")
            Console.exit(1)
        }
    }

    /// The job's final status once the stream says `done`; nil before.
    private mutating func handle(_ event: String, _ data: JSONValue) -> String? {
        switch event {
        case "fine_tuning.job.event":
            if let metrics = data["data"], data["type"] == "metrics" {
                if let value = metrics["train_loss"]?.double { loss = value }
                if let value = metrics["train_samples_per_second"]?.double { throughput = "\(Self.short(value)) samples/s" }
                if let value = metrics["train_tokens_per_second"]?.double { throughput = "\(Self.short(value)) tokens/s" }
            }
            let time = data["created_at"]?.int.map { WallClock.iso8601(Double($0)).dropFirst(11).prefix(8) } ?? ""
            line("\(time)  \(data["message"]?.string ?? "")")
        case "progress":
            status = data["status"]?.string ?? status
            if let progress = data["progress"], progress != .null {
                step = progress["step"]?.int ?? step
                total = progress["total_steps"]?.int ?? total
                percent = progress["percent"]?.double ?? percent
            }
            finish = data["estimated_finish"]?.int
            if !terminal && (percent - lastPlain >= 10 || percent == 100) {
                lastPlain = percent
                print("progress: \(bar)")
            }
        case "done":
            return data["status"]?.string ?? "ended"
        default:
            break
        }
        if terminal { draw() }
        return nil
    }

    /// `42%  step 120/300  loss 0.412  31.2 samples/s  ETA 1m20s  running`
    private var bar: String {
        var parts = ["\(Self.short(percent))%"]
        if total > 0 { parts.append("step \(step)/\(total)") }
        if let loss { parts.append("loss \(Self.short(loss))") }
        if let throughput { parts.append(throughput) }
        if let finish { parts.append("ETA \(Self.duration(max(0, finish - WallClock.unixSeconds)))") }
        parts.append(status)
        return parts.joined(separator: "  ")
    }

    private func draw() {
        let width = 30, filled = Int((percent / 100 * Double(width)).rounded(.down))
        let gauge = String(repeating: "█", count: min(width, filled)) + String(repeating: "░", count: max(0, width - filled))
        Console.output("\r\u{1B}[K[\(gauge)] \(bar)")
    }

    /// An event line: above the bar on a terminal.
    private func line(_ text: String) {
        if terminal { Console.output("\r\u{1B}[K\(text)\n") } else { print(text) }
    }

    private func finishLine() { if terminal { Console.output("\n") } }

    static func short(_ value: Double) -> String {
        let rounded = (value * 1000).rounded() / 1000
        return rounded == rounded.rounded() && abs(rounded) < 1e15 ? String(Int(rounded)) : String(rounded)
    }

    static func duration(_ seconds: Int) -> String {
        seconds >= 3600 ? "\(seconds / 3600)h\((seconds % 3600) / 60)m" : seconds >= 60 ? "\(seconds / 60)m\(seconds % 60)s" : "\(seconds)s"
    }
}
