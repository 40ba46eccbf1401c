import JSON
import Jobs
import HTTP
import Service
import Store
import Platform
import Testing
import TestSupport

@Suite("API: auth, files, jobs, models")
struct APITests {
    @Test("Missing or unknown keys get 401 in the error shape; health, readiness and metrics need none")
    func authentication() throws {
        let api = try APIHarness()
        let client = try TestClient(port: api.port)
        let missing = try client.request("GET", "/v1/files")
        #expect(missing.status == 401 && missing.json["error"]?["code"] == "missing_api_key")
        #expect(missing.json["error"]?["param"] == .null && missing.json["error"]?["type"] == "authentication_error")
        #expect(try api.call("GET", "/v1/files", key: "ak-wrong").status == 401)
        #expect(try client.request("GET", "/healthz").status == 200)
        #expect(try client.request("GET", "/readyz").json["status"] == "ready")
        let metrics = try client.request("GET", "/metrics").text
        #expect(metrics.contains("anneal_http_requests_total{route=\"/v1/files\""))
        // What autoscalers and alerts read: an idle queue.
        for line in ["anneal_queue_depth 0", "anneal_queue_oldest_age_seconds 0.0", "anneal_leases_expired 0", "anneal_workers_wanted 0"] {
            #expect(metrics.contains("\n\(line)\n"), "\(line)")
        }
    }

    @Test("dry_run answers with the checks and creates no job; a missing file is a 400 naming it, a bad flag a 400")
    func dryRun() throws {
        let api = try APIHarness()
        let file = try api.upload()
        let report = try api.createJob(file: file, extra: ["dry_run": true])
        #expect(report.status == 200 && report.json["object"] == "fine_tuning.job.dry_run")
        #expect(report.json["files"]?["training_file"]?["examples"] == 2)
        // The harness's base is a config without weights: the estimate cannot be made, and says why.
        #expect(report.json["valid"] == false && report.json["errors"]?[0]?["code"] == "model_unavailable")
        #expect(try api.call("GET", "/v1/fine_tuning/jobs").json["data"] == [])
        let missing = try api.createJob(file: "file-none", extra: ["dry_run": true])
        #expect(missing.status == 400 && missing.json["error"]?["param"] == "training_file")
        let bad = try api.createJob(file: file, extra: ["dry_run": "yes"])
        #expect(bad.status == 400 && bad.json["error"]?["param"] == "dry_run")
    }

    @Test("Another tenant's files, jobs and models answer 404 and never list")
    func tenantIsolation() throws {
        let api = try APIHarness()
        let file = try api.upload()
        let job = try api.createJob(file: file).json["id"]?.string ?? ""
        for path in ["/v1/files/\(file)", "/v1/files/\(file)/content", "/v1/fine_tuning/jobs/\(job)",
                     "/v1/fine_tuning/jobs/\(job)/events", "/v1/fine_tuning/jobs/\(job)/checkpoints"] {
            #expect(try api.call("GET", path, key: api.keyB).status == 404, "\(path)")
        }
        #expect(try api.call("POST", "/v1/fine_tuning/jobs/\(job)/cancel", key: api.keyB).status == 404)
        #expect(try api.call("DELETE", "/v1/files/\(file)", key: api.keyB).status == 404)
        #expect(try api.call("GET", "/v1/files", key: api.keyB).json["data"]?.array?.isEmpty == true)
        #expect(try api.call("GET", "/v1/fine_tuning/jobs", key: api.keyB).json["data"]?.array?.isEmpty == true)
        #expect(try api.createJob(file: file, key: api.keyB).json["error"]?["param"] == "training_file")
        #expect(try api.call("GET", "/v1/files/\(file)").status == 200)
    }

    @Test("Uploads: multipart and raw; bad lines rejected with numbers; content round-trips; delete")
    func files() throws {
        let api = try APIHarness()
        let boundary = "XyZ123"
        let multipart = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"reviews.jsonl\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
            + APIHarness.training + Array("\r\n--\(boundary)--\r\n".utf8)
        let created = try api.call("POST", "/v1/files", body: multipart, headers: [("Content-Type", "multipart/form-data; boundary=\(boundary)")])
        #expect(created.status == 200)
        #expect(created.json["filename"] == "reviews.jsonl" && created.json["example_count"] == 2)
        #expect(created.json["labels"] == ["fresh", "rotten"] && created.json["bytes"] == .int(Int64(APIHarness.training.count)))
        let id = created.json["id"]?.string ?? ""
        #expect(try api.call("GET", "/v1/files/\(id)/content").body == APIHarness.training)

        let bad = try api.call("POST", "/v1/files?purpose=fine-tune", body: Array("{\"text\":\"ok\",\"label\":\"a\"}\n{oops\n{\"nope\":1}\n".utf8))
        #expect(bad.status == 400 && bad.json["error"]?["param"] == "file" && bad.json["error"]?["code"] == "invalid_file_format")
        let message = bad.json["error"]?["message"]?.string ?? ""
        #expect(message.contains("line 2: invalid JSON") && message.contains("line 3: record has none of the supported shapes"), "\(message)")
        #expect(try api.call("POST", "/v1/files?purpose=training", body: APIHarness.training).json["error"]?["param"] == "purpose")
        #expect(try api.call("GET", "/v1/files").json["data"]?.array?.count == 1, "a rejected upload stores nothing")

        #expect(try api.call("DELETE", "/v1/files/\(id)").json["deleted"] == true)
        #expect(try api.call("GET", "/v1/files/\(id)").status == 404)
    }

    @Test("Job creation checks every parameter and names it")
    func jobValidation() throws {
        let api = try APIHarness(trainers: TrainerRegistry(), linkedModels: [
            "tiny-gpt2": repositoryRoot + "/Tests/EngineTests/Fixtures/tiny-gpt2", "tiny-bert": repositoryRoot + "/Tests/EngineTests/Fixtures/tiny-bert",
        ])
        let file = try api.upload()
        let cases: [(JSONObject, String)] = [
            (["model": "no-such-model"], "model"),
            (["suffix": "has spaces"], "suffix"),
            (["seed": -1], "seed"),
            (["surprise": true], "surprise"),
            (["metadata": ["k": 1]], "metadata.k"),
            (["method": ["type": "dpo"]], "method.type"),
            (["method": ["type": "supervised", "supervised": ["hyperparameters": ["n_epochs": 0]]]], "method.supervised.hyperparameters.n_epochs"),
            (["hyperparameters": ["warmup_ratio": 2]], "hyperparameters.warmup_ratio"),
            (["model": "tiny-bert", "hyperparameters": ["lora": ["target_modules": ["q_proj"]]]], "hyperparameters.lora.target_modules"),
            (["model": "tiny-gpt2", "method": ["type": "supervised", "supervised": ["hyperparameters": ["lora": ["r": 0]]]]],
             "method.supervised.hyperparameters.lora.r"),
            (["model": "tiny-gpt2", "hyperparameters": ["lora": ["target_modules": ["q_proj"]]]], "hyperparameters.lora.target_modules"),
            (["model": "tiny-gpt2", "hyperparameters": ["lora": ["lora_dropout": 1.5]]], "hyperparameters.lora.lora_dropout"),
            (["model": "tiny-gpt2", "adapter": ["type": "lora", "r": 0]], "adapter.r"),
            (["model": "tiny-gpt2", "adapter": ["type": "lora", "rank": 8]], "adapter.rank"),
            (["model": "tiny-gpt2", "hyperparameters": ["lora": ["lora_dropout": 0.999999999]]], "hyperparameters.lora.lora_dropout"),
            (["model": "tiny-gpt2", "hyperparameters": ["lora": ["r": 8, "lora_alpha": 1e39]]], "hyperparameters.lora.lora_alpha"),
            (["model": "tiny-gpt2", "adapter": ["type": "prefix"]], "adapter.type"),
            (["model": "tiny-gpt2", "adapter": ["type": "lora"], "hyperparameters": ["lora": ["r": 4]]], "adapter"),
            (["validation_file": "file-missing"], "validation_file"),
            (["priority": 0], "priority"),
            (["priority": "high"], "priority"),
            (["nodes": 0], "nodes"),
            (["nodes": 65], "nodes"),
            (["nodes": 1.5], "nodes"),
        ]
        for (extra, param) in cases {
            let response = try api.createJob(file: file, extra: extra)
            #expect(response.status == 400 && response.json["error"]?["param"] == .string(param), "\(extra): \(response.text)")
        }
        let noFile = try api.call("POST", "/v1/fine_tuning/jobs", json: ["model": "mini-bert"])
        #expect(noFile.json["error"]?["param"] == "training_file")
        // The top-level adapter form is hyperparameters.lora; GPT-2's names are checked against GPT-2.
        let adapted = try api.createJob(file: file, extra: ["model": "tiny-gpt2", "adapter": ["type": "lora", "r": 4, "target_modules": ["c_attn", "c_proj"]]])
        #expect(adapted.status == 200, "\(adapted.text)")
        let lora = adapted.json["method"]?["supervised"]?["hyperparameters"]?["lora"]
        #expect(lora?["r"] == 4 && lora?["target_modules"] == ["c_attn", "c_proj"], "\(adapted.text)")
        let later = try api.createJob(file: file, extra: ["priority": 3])
        #expect(later.status == 200 && later.json["priority"] == 3 && later.json["nodes"] == 1, "\(later.text)")
        let gang = try api.createJob(file: file, extra: ["nodes": 4])
        #expect(gang.status == 200 && gang.json["nodes"] == 4, "\(gang.text)")
        let notJSON = try api.call("POST", "/v1/fine_tuning/jobs", body: Array("{".utf8))
        #expect(notJSON.status == 400 && notJSON.json["error"]?["code"] == "invalid_json")
    }

    @Test("Jobs: created with the OpenAI fields, listed with pagination and metadata, cancelled, paused, resumed")
    func jobLifecycle() throws {
        let api = try APIHarness()
        let file = try api.upload()
        var ids: [String] = []
        for n in 0..<3 {
            let job = try api.createJob(file: file, extra: ["suffix": "v\(n)", "seed": 42, "metadata": ["run": .string("r\(n)")],
                                                            "method": ["type": "supervised", "supervised": ["hyperparameters": ["n_epochs": 2]]]])
            #expect(job.status == 200 && job.json["status"] == "validating_files" && job.json["seed"] == 42)
            // Echoed resolved: HF's defaults where unset, "auto" as the number it stands for.
            let resolved = job.json["hyperparameters"]
            #expect(resolved?["n_epochs"] == 2 && resolved?["num_train_epochs"] == 2 && resolved?["batch_size"] == 8)
            #expect(resolved?["learning_rate"]?.double == 5e-5 && resolved?["seed"] == 42 && resolved?["max_seq_length"] == 128)
            #expect(job.json["method"]?["supervised"]?["hyperparameters"] == resolved)
            #expect(job.json["queue_position"] == .int(Int64(n)) && job.json["organization_id"] == "tenant-a")
            ids.append(job.json["id"]?.string ?? "")
        }
        let page = try api.call("GET", "/v1/fine_tuning/jobs?limit=2").json
        #expect(page["data"]?.array?.compactMap { $0["id"]?.string } == [ids[2], ids[1]] && page["has_more"] == true)
        let rest = try api.call("GET", "/v1/fine_tuning/jobs?limit=2&after=\(ids[1])").json
        #expect(rest["data"]?.array?.compactMap { $0["id"]?.string } == [ids[0]] && rest["has_more"] == false)
        let filtered = try api.call("GET", "/v1/fine_tuning/jobs?metadata%5Brun%5D=r1").json
        #expect(filtered["data"]?.array?.compactMap { $0["id"]?.string } == [ids[1]])

        let paused = try api.call("POST", "/v1/fine_tuning/jobs/\(ids[0])/pause")
        #expect(paused.json["status"] == "paused")
        #expect(try api.call("POST", "/v1/fine_tuning/jobs/\(ids[0])/resume").json["status"] == "validating_files")
        let cancelled = try api.call("POST", "/v1/fine_tuning/jobs/\(ids[0])/cancel")
        #expect(cancelled.json["status"] == "cancelled" && cancelled.json["finished_at"]?.int != nil)
        #expect(try api.call("POST", "/v1/fine_tuning/jobs/\(ids[0])/cancel").status == 409)
        #expect(try api.call("POST", "/v1/fine_tuning/jobs/\(ids[0])/resume").status == 409)

        let events = try api.call("GET", "/v1/fine_tuning/jobs/\(ids[0])/events?limit=2").json
        #expect(events["data"]?[0]?["message"] == "Job cancelled by the user" && events["has_more"] == true)
        let last = events["data"]?[1]?["id"]?.string ?? ""
        let older = try api.call("GET", "/v1/fine_tuning/jobs/\(ids[0])/events?after=\(last)").json
        #expect(older["data"]?.array?.last?["message"]?.string?.hasPrefix("Created fine-tuning job") == true)
        #expect(try api.call("GET", "/v1/fine_tuning/jobs?limit=0").json["error"]?["param"] == "limit")
        let nul = try api.call("GET", "/v1/fine_tuning/jobs?after=%00")
        #expect(nul.status == 400 && nul.json["error"]?["code"] == "invalid_value", "a NUL is the client's error, not a 500")
    }

    @Test("Models: base models from the folder; base models cannot be deleted; unknown ids are 404")
    func models() throws {
        let api = try APIHarness()
        let list = try api.call("GET", "/v1/models").json
        #expect(list["data"]?[0]?["id"] == "mini-bert" && list["data"]?[0]?["owned_by"] == "system")
        #expect(try api.call("GET", "/v1/models/mini-bert").json["architecture"] == "bert")
        #expect(try api.call("DELETE", "/v1/models/mini-bert").status == 403)
        #expect(try api.call("GET", "/v1/models/ft:mini-bert::ftjob-x").status == 404)
    }
}

@Suite("API: metrics series")
struct MetricsRouteTests {
    @Test("GET .../metrics as JSON and CSV; another tenant gets 404")
    func metricsRoute() throws {
        let api = try APIHarness()
        let job = try api.createJob(file: try api.upload()).json["id"]?.string ?? ""
        try api.application.pool.withConnection { connection in
            try JobMetrics.record(connection, job: job, kind: .train, step: 5, epoch: 0.25, values: ["loss": 1.5])
            try JobMetrics.record(connection, job: job, kind: .eval, step: 10, epoch: 0.5, values: ["loss": 1.2, "accuracy": 0.75])
        }
        let json = try api.call("GET", "/v1/fine_tuning/jobs/\(job)/metrics").json
        #expect(json["data"]?.array?.count == 2 && json["data"]?[1]?["metrics"]?["accuracy"] == 0.75)
        let csv = try api.call("GET", "/v1/fine_tuning/jobs/\(job)/metrics", headers: [("Accept", "text/csv")])
        #expect(csv.headers["Content-Type"]?.hasPrefix("text/csv") == true)
        #expect(csv.text == "step,epoch,kind,loss,accuracy\n5,0.25,train,1.5,\n10,0.5,eval,1.2,0.75\n")
        #expect(try api.call("GET", "/v1/fine_tuning/jobs/\(job)/metrics", key: api.keyB).status == 404)
    }
}
