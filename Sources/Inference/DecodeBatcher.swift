import Engine
import Platform

/// Concurrent generations of one base model (Llama or GPT-2), and of any of its LoRA fine-tunes,
/// decoded together: each request prefills its own prompt on its own thread, then joins a batch
/// in which one thread takes a step for every sequence at once (`CausalLM.decode`), reading each weight
/// matrix once per step for the whole batch. Text goes back to each request's thread, which
/// sends it; a sequence whose client is gone leaves the batch at the next step.
final class DecodeBatcher: @unchecked Sendable {
    let model: any CausalLM
    let maxBatch: Int
    let metrics: GenerationMetrics?
    private let state = ConditionLock(State())

    struct State {
        var joining: [Sequence] = []
        var running = false
    }

    init(model: any CausalLM, maxBatch: Int = 16, metrics: GenerationMetrics? = nil) { (self.model, self.maxBatch, self.metrics) = (model, maxBatch, metrics) }

    /// One sequence of the batch. The batch thread owns the session, logits and text; the
    /// request's thread reads only the mailbox.
    final class Sequence: @unchecked Sendable {
        let session: any DecodingSession, sampler: Sampler, maxTokens: Int, cancelled: @Sendable () -> Bool
        var logits: [Float], stream: TextStream
        let mailbox = ConditionLock(Mailbox())

        struct Mailbox {
            var pieces: [String] = []
            var finish: FinishReason?
            var abandoned = false
        }

        init(session: any DecodingSession, logits: [Float], stream: TextStream, maxTokens: Int, sampler: Sampler, cancelled: @escaping @Sendable () -> Bool) {
            (self.session, self.logits, self.stream, self.maxTokens, self.sampler, self.cancelled) = (session, logits, stream, maxTokens, sampler, cancelled)
        }

        func post(_ piece: String?, finish: FinishReason? = nil) {
            guard piece != nil || finish != nil else { return }
            mailbox.withLock { box in
                if let piece { box.pieces.append(piece) }
                box.finish = finish
            }
            mailbox.broadcast()
        }
    }

    /// Generates after a prefilled `session` (its last `logits`) in the shared batch, calling
    /// `emit` on this thread with each piece of text; as `LanguageModel.generate`.
    func generate(session: any DecodingSession, logits: [Float], stream: TextStream, maxTokens: Int, sampler: Sampler,
                  cancelled: @escaping @Sendable () -> Bool, emit: (String) throws -> Bool) throws -> (text: String, tokens: Int, finish: FinishReason) {
        let sequence = Sequence(session: session, logits: logits, stream: stream, maxTokens: maxTokens, sampler: sampler, cancelled: cancelled)
        let start = state.withLock { state -> Bool in
            state.joining.append(sequence)
            defer { state.running = true }
            return !state.running
        }
        if start { Thread.spawn(name: "decode-batch") { [self] in run() } }
        // Leaving early: the batch thread drops the sequence at its next step and says so; only
        // then are the session and the text this thread's again.
        func abandon() {
            sequence.mailbox.withLock { $0.abandoned = true }
            sequence.mailbox.withLock(when: { $0.finish != nil }) { _, _ in }
        }
        while true {
            let (pieces, finish) = sequence.mailbox.withLock(when: { !$0.pieces.isEmpty || $0.finish != nil }) { box, _ in
                defer { box.pieces = [] }
                return (box.pieces, box.finish)
            }
            for piece in pieces {
                let more: Bool
                do { more = try emit(piece) } catch { abandon(); throw error }
                if !more {
                    abandon()
                    return (sequence.stream.text, sequence.stream.generated.count, .cancelled)
                }
            }
            // The batch thread has let go of the sequence once it posted a finish.
            if let finish { return (sequence.stream.text, sequence.stream.tokens(finish), finish) }
        }
    }

    /// The batch thread: steps every active sequence until none is left, taking newcomers in
    /// between steps.
    private func run() {
        var active: [Sequence] = []
        while true {
            let joined: [Sequence]? = state.withLock { state in
                if active.isEmpty && state.joining.isEmpty {
                    state.running = false
                    return nil
                }
                let taken = Array(state.joining.prefix(max(0, maxBatch - active.count)))
                state.joining.removeFirst(taken.count)
                return taken
            }
            guard let joined else { return }
            active += joined
            var stepping: [Sequence] = [], tokens: [Int32] = []
            for sequence in active {
                if sequence.mailbox.withLock({ $0.abandoned }) || sequence.cancelled() {
                    sequence.post(nil, finish: .cancelled)
                    continue
                }
                let next = sequence.sampler.next(sequence.logits, previous: sequence.stream.context)
                let (piece, finish) = sequence.stream.accept(next)
                if let finish {
                    sequence.post(piece, finish: finish)
                } else if sequence.stream.generated.count == sequence.maxTokens || sequence.session.count == sequence.session.capacity {
                    let rest = [piece, sequence.stream.flush()].compactMap { $0 }.joined()
                    sequence.post(rest.isEmpty ? nil : rest, finish: .length)
                } else {
                    sequence.post(piece)
                    stepping.append(sequence)
                    tokens.append(next)
                }
            }
            active = stepping
            guard !active.isEmpty else { continue }
            metrics?.recordStep(rows: active.count)
            for (sequence, logits) in zip(active, model.decode(active.map(\.session), tokens)) { sequence.logits = logits }
        }
    }
}
