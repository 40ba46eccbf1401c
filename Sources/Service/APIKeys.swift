import Platform
import Store

/// API keys: `ak-` and 40 random characters, shown once; only the SHA-256 is stored.
public enum APIKeys {
    public static func create(tenant: String, databaseURL: String) throws -> String {
        let connection = try Connection(url: databaseURL)
        return try create(tenant: tenant, connection: connection)
    }

    public static func create(tenant: String, connection: Connection) throws -> String {
        let key = Crypto.randomID(prefix: "ak-", count: 40)
        try connection.transaction { connection in
            try connection.execute("INSERT INTO tenant (id) VALUES (\(tenant)) ON CONFLICT (id) DO NOTHING")
            try connection.execute("""
                INSERT INTO api_key (key_sha256, tenant_id, prefix) VALUES (\(Crypto.sha256Hex(key)), \(tenant), \(String(key.prefix(7))))
                """)
        }
        return key
    }
}
