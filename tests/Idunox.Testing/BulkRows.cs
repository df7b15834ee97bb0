using Npgsql;

namespace Idunox.Testing;

/// <summary>
/// Rows written straight into PostgreSQL, thousands at a time, for tests and benchmarks of the jobs at scale: what a
/// large partner base looks like without creating each key through the API. Keys get random hashes (no plaintext exists).
/// </summary>
public static class BulkRows
{
    /// <summary><paramref name="count"/> rotated keys of one organisation whose grace ended at <paramref name="graceEndedAt"/>, not yet recorded.</summary>
    public static Task InsertGraceEndedKeysAsync(string connectionString, Guid tenantId, int count, DateTime graceEndedAt) =>
        InsertKeysAsync(connectionString, tenantId, count, "rotated", expiresAt: graceEndedAt.AddDays(300), graceEndsAt: graceEndedAt);

    /// <summary><paramref name="count"/> keys of one organisation, in use, expiring at <paramref name="expiresAt"/>.</summary>
    public static Task InsertExpiringKeysAsync(string connectionString, Guid tenantId, int count, DateTime expiresAt) =>
        InsertKeysAsync(connectionString, tenantId, count, "expiring", expiresAt, graceEndsAt: null);

    private static async Task InsertKeysAsync(string connectionString, Guid tenantId, int count, string name, DateTime expiresAt, DateTime? graceEndsAt)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        // A rotated key is on the grace sweep's work list, as the rotation leaves it.
        await using var command = new NpgsqlCommand(
            """
            WITH keys AS (
                INSERT INTO credentials.api_keys (id, tenant_id, name, prefix, hash, created_at, created_by, expires_at, grace_ends_at)
                SELECT gen_random_uuid(), @tenant, @name || ' ' || i, 'idx_test_' || substr(md5(random()::text || i), 1, 8),
                       sha256(convert_to(gen_random_uuid()::text, 'UTF8')), @created, 'bulk@example.com', @expires, @grace
                FROM generate_series(1, @count) AS i
                RETURNING id, grace_ends_at)
            INSERT INTO credentials.pending_grace_ends (key_id, grace_ends_at) SELECT id, grace_ends_at FROM keys WHERE grace_ends_at IS NOT NULL
            """, connection);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.AddWithValue("name", name);
        command.Parameters.AddWithValue("created", DateTime.SpecifyKind(expiresAt.AddDays(-365), DateTimeKind.Utc));
        command.Parameters.AddWithValue("expires", DateTime.SpecifyKind(expiresAt, DateTimeKind.Utc));
        command.Parameters.Add(new NpgsqlParameter("grace", NpgsqlTypes.NpgsqlDbType.TimestampTz) { Value = graceEndsAt is { } g ? DateTime.SpecifyKind(g, DateTimeKind.Utc) : DBNull.Value });
        command.Parameters.AddWithValue("count", count);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// <paramref name="count"/> <c>ApiKeyGraceEnded</c> events of one organisation waiting in the Credentials outbox (bulk
    /// class), as a large grace sweep leaves them; their payloads are what the sweep writes.
    /// </summary>
    public static async Task InsertGraceEndedEventsAsync(string connectionString, Guid tenantId, int count, DateTime endedAt)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            """
            WITH e AS (SELECT i, gen_random_uuid() AS id FROM generate_series(1, @count) AS i)
            INSERT INTO credentials.outbox_messages (event_id, tenant_id, type, payload, occurred_at, priority, attempts)
            SELECT e.id, @tenant, 'ApiKeyGraceEnded',
                   json_build_object('eventId', e.id, 'tenantId', @tenant, 'occurredAt', @at_text,
                       'key', json_build_object('id', gen_random_uuid(), 'name', 'retired ' || e.i, 'prefix', 'idx_test_' || lpad(e.i::text, 8, '0'),
                                                'expiresAt', @at_text),
                       'graceEndedAt', @at_text)::text,
                   @at, 1, 0
            FROM e ORDER BY e.i
            """, connection);
        var at = DateTime.SpecifyKind(endedAt, DateTimeKind.Utc);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.AddWithValue("at", at);
        command.Parameters.AddWithValue("at_text", at.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue("count", count);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary><paramref name="count"/> e-mails due now, to addresses <c>{tag}-{n}@example.com</c>.</summary>
    public static async Task InsertDueEmailsAsync(string connectionString, string tag, int count, DateTime now)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO notifications.outgoing_emails (id, dedupe_key, kind, recipient, subject, text_body, html_body, created_at, attempts, next_attempt_at)
            SELECT gen_random_uuid(), @tag || ':' || i, 'test', @tag || '-' || i || '@example.com', 'Test ' || i, 'Hello ' || i, '<p>Hello ' || i || '</p>', @now, 0, @now
            FROM generate_series(1, @count) AS i
            """, connection);
        command.Parameters.AddWithValue("tag", tag);
        command.Parameters.AddWithValue("now", DateTime.SpecifyKind(now, DateTimeKind.Utc));
        command.Parameters.AddWithValue("count", count);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The first column of the first row of a query (a count, say).</summary>
    public static async Task<long> ScalarAsync(string connectionString, string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
