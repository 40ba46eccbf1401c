import Store
import Testing

@Suite struct QueryTests {
    @Test func interpolationsBecomeNumberedPlaceholders() {
        let id = "f-1", tenant = "t-1"
        let q: Query = "SELECT * FROM file WHERE id = \(id) AND tenant_id = \(tenant)"
        #expect(q.sql == "SELECT * FROM file WHERE id = $1 AND tenant_id = $2")
    }

    @Test func fragmentsAreRenumbered() {
        let state = "queued", limit = 10
        let filter: Query = "state = \(state) AND priority > \(1)"
        let q: Query = "SELECT id FROM job WHERE tenant_id = \("t") AND \(filter) ORDER BY id \(literal: "DESC") LIMIT \(limit)"
        #expect(q.sql == "SELECT id FROM job WHERE tenant_id = $1 AND state = $2 AND priority > $3 ORDER BY id DESC LIMIT $4")
    }

    @Test func literalWithoutInterpolation() {
        let q: Query = "SELECT 1"
        #expect(q.sql == "SELECT 1")
    }

    @Test func optionalsBindAsParameters() {
        let missing: Int? = nil
        let present: String? = "x"
        let q: Query = "SELECT \(missing), \(present)"
        #expect(q.sql == "SELECT $1, $2")
    }
}
