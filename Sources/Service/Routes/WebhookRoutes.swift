import HTTP
import Jobs
import JSON

/// `/v1/webhooks`: a tenant's signed callbacks for job outcomes, checkpoints and evaluations,
/// and the record of every delivery.
struct WebhookRoutes {
    let webhooks: Webhooks

    func add(to routes: inout RouteTable) {
        routes.add("POST", "/v1/webhooks") { request, context in try create(request, context) }
        routes.add("GET", "/v1/webhooks") { _, context in
            .json(["object": "list", "data": .array(try webhooks.list(tenant: context.tenant)), "has_more": false])
        }
        routes.add("GET", "/v1/webhooks/{id}") { _, context in
            let id = context.parameter("id")
            guard let webhook = try webhooks.find(id, tenant: context.tenant) else { throw notFound(id) }
            return .json(webhook)
        }
        routes.add("DELETE", "/v1/webhooks/{id}") { _, context in
            let id = context.parameter("id")
            guard try webhooks.delete(id, tenant: context.tenant) else { throw notFound(id) }
            return .json(["id": .string(id), "object": "webhook", "deleted": true])
        }
        routes.add("GET", "/v1/webhooks/{id}/deliveries") { request, context in
            let id = context.parameter("id"), page = try Page(request)
            guard let items = try webhooks.deliveries(of: id, tenant: context.tenant, limit: page.limit + 1) else { throw notFound(id) }
            return page.list(items)
        }
    }

    /// `{"url": "https://…", "events": ["fine_tuning.job.succeeded", …]}`; the answer carries
    /// the signing secret, this once.
    func create(_ request: HTTPRequest, _ context: RequestContext) throws -> HTTPResponse {
        let body = try request.jsonObject()
        for key in body.keys where key != "url" && key != "events" {
            throw HTTPError.badRequest("Unknown field \(key); a webhook has url and events", param: key, code: "unknown_parameter")
        }
        guard let url = body["url"]?.string, !url.isEmpty else {
            throw HTTPError.badRequest("url is required: the http:// or https:// address to call", param: "url", code: "missing_required_parameter")
        }
        var events: [String]?
        if let value = body["events"], value != .null {
            guard let array = value.array, let names = Optional(array.compactMap(\.string)), names.count == array.count else {
                throw HTTPError.badRequest("events must be an array of event names", param: "events", code: "invalid_events")
            }
            events = names
        }
        do {
            return .json(try webhooks.create(tenant: context.tenant, url: url, events: events))
        } catch let refusal as Webhooks.Refusal {
            throw HTTPError.badRequest(refusal.description, param: refusal.param, code: refusal.param == "url" ? "invalid_url" : "invalid_events")
        }
    }

    func notFound(_ id: String) -> HTTPError { HTTPError.notFound("No such webhook: \(id)", param: "id") }
}
