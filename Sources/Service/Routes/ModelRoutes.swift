import HTTP
import JSON
import Models
import Store

/// `/v1/models`: the base models of `ANNEAL_MODELS` and the tenant's fine-tuned models.
struct ModelRoutes {
    let pool: ConnectionPool
    let catalog: ModelCatalog
    /// `/predict`'s cache of model rows: a deleted model leaves it at once.
    let lookup: ModelLookup

    func add(to routes: inout RouteTable) {
        routes.add("GET", "/v1/models") { _, context in try list(context) }
        routes.add("GET", "/v1/models/{id}") { _, context in try find(context) }
        routes.add("DELETE", "/v1/models/{id}") { _, context in try delete(context) }
        routes.add("GET", "/v1/models/{id}/download") { request, context in try download(request, context) }
    }

    func base(_ model: ModelCatalog.BaseModel) -> JSONValue {
        ["id": .string(model.name), "object": "model", "created": .int(Int64(model.created)), "owned_by": "system",
         "architecture": .string(model.architecture)]
    }

    func fineTuned(_ row: Row) throws -> JSONValue {
        ["id": .string(try row.decode(String.self, "id")), "object": "model",
         "created": .int(try row.decode(Int64.self, "created")), "owned_by": .string(try row.decode(String.self, "tenant_id")),
         "parent": .string(try row.decode(String.self, "base_model"))]
    }

    static let columns: Query = "id, tenant_id, base_model, extract(epoch FROM created_at)::bigint AS created"

    func list(_ context: RequestContext) throws -> HTTPResponse {
        let rows = try pool.withConnection { connection in
            try connection.query("SELECT \(ModelRoutes.columns) FROM model WHERE tenant_id = \(context.tenant) ORDER BY created_at, id")
        }
        let data = catalog.models.map(base) + (try rows.map(fineTuned))
        return .json(["object": "list", "data": .array(data), "has_more": false])
    }

    func find(_ context: RequestContext) throws -> HTTPResponse {
        let id = context.parameter("id")
        if let model = catalog.model(named: id) { return .json(base(model)) }
        let row = try pool.withConnection { connection in
            try connection.query("SELECT \(ModelRoutes.columns) FROM model WHERE id = \(id) AND tenant_id = \(context.tenant)").first
        }
        guard let row else { throw HTTPError.notFound("The model \(id) does not exist", param: "model") }
        return .json(try fineTuned(row))
    }

    func delete(_ context: RequestContext) throws -> HTTPResponse {
        let id = context.parameter("id")
        if catalog.model(named: id) != nil {
            throw HTTPError(.forbidden, "Base models cannot be deleted", param: "model", code: "model_not_deletable")
        }
        let deleted = try pool.withConnection { connection in
            try connection.execute("DELETE FROM model WHERE id = \(id) AND tenant_id = \(context.tenant)")
        }
        guard deleted == 1 else { throw HTTPError.notFound("The model \(id) does not exist", param: "model") }
        lookup.forget(id)
        return .json(["id": .string(id), "object": "model", "deleted": true])
    }
}
