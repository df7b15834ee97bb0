using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Idunox.Testing;
using Npgsql;

namespace Idunox.Benchmarks;

/// <summary>
/// <c>build/bench.sh jobs</c>: the jobs at scale on a throwaway PostgreSQL with the built host (Release) and a real
/// SMTP server in this process. 500 organisations with 2 portal users each, 100 000 rotated keys whose grace has ended
/// and 10 000 keys crossing the 7-day reminder threshold, inserted in bulk (not through the API). Times the
/// <c>grace-sweep</c> verb and the <c>expiry-reminders</c> verb from its start to the last message accepted by the SMTP
/// server, with the process's peak memory; then the same work on three processes at once; checks every count.
/// The host's own start-up (the <c>jobs list</c> verb, which does no work) is measured too, so the work's share is clear.
/// </summary>
internal static class JobsBench
{
    private sealed record Options(string HostDll, string Postgres, int Organisations, int GraceKeys, int ReminderKeys)
    {
        public static Options Parse(string[] args)
        {
            string Value(string name, string fallback) => BenchArgs.Value(args, name, fallback);

            var postgres = BenchArgs.RequirePostgres("jobs");

            return new Options(
                Value("--host", "host/Idunox.Host/bin/Release/net10.0/Idunox.Host.dll"),
                postgres,
                int.Parse(Value("--organisations", "500"), CultureInfo.InvariantCulture),
                int.Parse(Value("--grace-keys", "100000"), CultureInfo.InvariantCulture),
                int.Parse(Value("--reminder-keys", "10000"), CultureInfo.InvariantCulture));
        }
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var options = Options.Parse(args);
        var report = new List<string>();
        await using var smtp = new TestSmtpServer().Start();
        var database = await ProbeBench.FreshDatabaseAsync(options.Postgres, "idunox_jobs");
        var settings = BenchHost.PostgresSettings(database);
        settings["Portal__Urls__Portal"] = "https://partner.example.com/partner";
        foreach (var (name, value) in smtp.Settings)
        {
            settings[name.Replace(":", "__", StringComparison.Ordinal)] = value!;
        }

        Console.WriteLine($"jobs benchmark: {options.Organisations} organisations x 2 users, {options.GraceKeys:N0} keys past their grace, {options.ReminderKeys:N0} keys crossing the 7-day reminder");
        await BenchHost.VerbAsync(options.HostDll, settings, null, "migrate");
        var users = await ArrangeOrganisationsAsync(options, settings, database);
        var start = await BenchHost.MeasuredVerbAsync(options.HostDll, settings, "jobs", "list");
        report.Add(Line("host start-up alone (jobs list)", start));

        // One server.
        await InsertKeysAsync(options, database);
        var sweep = await Verb(options, settings, "grace-sweep");
        report.Add(Line($"grace-sweep, {options.GraceKeys:N0} keys, one process", sweep));
        report.Add(await CheckSweepAsync(options, database));

        var reminders = await RemindersAsync(options, settings, smtp, processes: 1);
        report.Add(reminders.Line);
        report.Add(await CheckRemindersAsync(options, database, smtp, users));

        // Three servers on the same backlog at once.
        await ResetAsync(database, smtp);
        var clock = Stopwatch.StartNew();
        var sweeps = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Verb(options, settings, "grace-sweep")));
        // The processes start together; each job began about its own time before its process ended (a little earlier than
        // that: the process's shut-down comes after the job), so this window is the jobs' plus about one shut-down.
        var window = sweeps.Max(r => r.Elapsed) - sweeps.Min(r => r.Elapsed - JobTime(r));
        report.Add(string.Create(CultureInfo.InvariantCulture,
            $"grace-sweep, {options.GraceKeys:N0} keys, three processes at once: the jobs {string.Join(" / ", sweeps.Select(JobSeconds))}, {window.TotalSeconds:0.0} s from the first job's start to the last one's end, " +
            $"{clock.Elapsed.TotalSeconds:0.0} s for all three processes, CPU {Cpu(sweeps)} " +
            $"(recorded {string.Join(" + ", sweeps.Select(Recorded))})"));
        report.Add(await CheckSweepAsync(options, database));

        var three = await RemindersAsync(options, settings, smtp, processes: 3);
        report.Add(three.Line);
        report.Add(await CheckRemindersAsync(options, database, smtp, users));

        // The outbox: the 100 000 grace-ended events the sweeps left, and 100 security notices written behind them.
        report.AddRange(await OutboxAsync(options, settings, database, smtp));

        Console.WriteLine();
        Console.WriteLine("summary");
        foreach (var line in report)
        {
            Console.WriteLine(line);
        }

        return 0;
    }

    private static async Task<VerbRun> Verb(Options options, Dictionary<string, string> settings, string job)
    {
        var run = await BenchHost.MeasuredVerbAsync(options.HostDll, settings, "jobs", "run", job);
        if (run.ExitCode != 0)
        {
            throw new InvalidOperationException($"jobs run {job} exited {run.ExitCode}: {run.Out} {run.Error}");
        }

        Console.WriteLine($"  {run.Out.Trim()}");
        return run;
    }

    private static string Line(string what, VerbRun run) => string.Create(CultureInfo.InvariantCulture,
        $"{what}: {(JobTime(run) > TimeSpan.Zero ? JobSeconds(run) + " the job, " : "")}{run.Elapsed.TotalSeconds:0.0} s the whole process, CPU {run.Cpu.TotalSeconds:0.0} s, peak memory {run.PeakBytes / 1024.0 / 1024.0:0} MiB");

    /// <summary>The job's own time, as the verb prints it: "(3.9 s)" at the end of its line.</summary>
    private static TimeSpan JobTime(VerbRun run) => Regex.Match(run.Out, "\\(([0-9.]+) s\\)\\s*$") is { Success: true } time
        ? TimeSpan.FromSeconds(double.Parse(time.Groups[1].Value, CultureInfo.InvariantCulture))
        : TimeSpan.Zero; // a verb that runs no job (jobs list)

    private static string JobSeconds(VerbRun run) => Seconds(JobTime(run));

    /// <summary>The CPU times of several runs: "2.2 + 2.2 + 2.4 s".</summary>
    private static string Cpu(IEnumerable<VerbRun> runs) => string.Join(" + ", runs.Select(r => r.Cpu.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture))) + " s";

    private static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("0.0 s", CultureInfo.InvariantCulture);

    private static int Recorded(VerbRun run) => int.Parse(Regex.Match(run.Out, "of (\\d+) key").Groups[1].Value, CultureInfo.InvariantCulture);

    /// <summary>The planning and sending of the reminders, from the verbs' start to the last message accepted by the SMTP server.</summary>
    private static async Task<(string Line, TimeSpan Elapsed)> RemindersAsync(Options options, Dictionary<string, string> settings, TestSmtpServer smtp, int processes)
    {
        var expected = options.Organisations * 2;
        var before = smtp.Count;
        var clock = Stopwatch.StartNew();
        var runs = Enumerable.Range(0, processes).Select(_ => Verb(options, settings, "expiry-reminders")).ToList();
        var lastAccepted = TimeSpan.Zero;
        while (runs.Any(r => !r.IsCompleted))
        {
            if (smtp.Count - before >= expected && lastAccepted == TimeSpan.Zero)
            {
                lastAccepted = clock.Elapsed;
            }

            await Task.Delay(10);
        }

        var results = await Task.WhenAll(runs);
        if (lastAccepted == TimeSpan.Zero)
        {
            lastAccepted = clock.Elapsed;
        }

        var who = processes == 1 ? "one process" : $"{processes} processes at once";
        var fromFirstJob = lastAccepted - results.Min(r => r.Elapsed - JobTime(r)); // without the processes' start-up (see the sweep)
        return (string.Create(CultureInfo.InvariantCulture,
            $"expiry-reminders, {options.ReminderKeys:N0} keys, {who}: planned and delivered ({smtp.Count - before} e-mails accepted) in {lastAccepted.TotalSeconds:0.0} s " +
            $"({fromFirstJob.TotalSeconds:0.0} s from the first job's start), CPU {Cpu(results)}, " +
            $"peak memory {results.Max(r => r.PeakBytes) / 1024.0 / 1024.0:0} MiB"), lastAccepted);
    }

    /// <summary>One organisation and its two users through the verbs, then copied in SQL to the number asked for.</summary>
    private static async Task<List<string>> ArrangeOrganisationsAsync(Options options, Dictionary<string, string> settings, string database)
    {
        await BenchHost.VerbAsync(options.HostDll, settings, null, "tenants", "add", "--name", "Bench 0", "--slug", "bench-0");
        foreach (var user in new[] { "a", "b" })
        {
            await BenchHost.VerbAsync(options.HostDll, settings, "bench-password-1234", "partners", "add", "--tenant", "bench-0", "--email", $"{user}@bench-0.example.com",
                "--password-stdin");
        }

        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        var organisationColumns = await ColumnsAsync(connection, "organisations");
        var userColumns = await ColumnsAsync(connection, "partner_users");
        string Copy(IEnumerable<string> columns, IReadOnlyDictionary<string, string> replaced) =>
            string.Join(", ", columns.Select(c => replaced.TryGetValue(c, out var expression) ? expression : $"t.{c}"));

        var organisations = new Dictionary<string, string> { ["id"] = "gen_random_uuid()", ["name"] = "'Bench ' || i", ["slug"] = "'bench-' || i" };
        var email = "split_part(t.email, '@', 1) || '@' || o.slug || '.example.com'";
        var people = new Dictionary<string, string>
        {
            ["id"] = "gen_random_uuid()", ["tenant_id"] = "o.id", ["email"] = email, ["normalized_email"] = $"upper({email})", ["user_name"] = email,
            ["normalized_user_name"] = $"upper({email})", ["security_stamp"] = "md5(random()::text)", ["concurrency_stamp"] = "gen_random_uuid()::text",
        };
        await using var command = new NpgsqlCommand(
            $"""
            INSERT INTO identity.organisations ({string.Join(", ", organisationColumns)})
            SELECT {Copy(organisationColumns, organisations)} FROM identity.organisations t, generate_series(1, {options.Organisations - 1}) AS i WHERE t.slug = 'bench-0';
            INSERT INTO identity.partner_users ({string.Join(", ", userColumns)})
            SELECT {Copy(userColumns, people)} FROM identity.partner_users t JOIN identity.organisations o ON o.slug <> 'bench-0'
            WHERE t.tenant_id = (SELECT id FROM identity.organisations WHERE slug = 'bench-0');
            """, connection);
        await command.ExecuteNonQueryAsync();
        var users = new List<string>();
        await using var read = new NpgsqlCommand("SELECT email FROM identity.partner_users", connection);
        await using var reader = await read.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            users.Add(reader.GetString(0));
        }

        return users;
    }

    private static async Task<List<string>> ColumnsAsync(NpgsqlConnection connection, string table)
    {
        await using var command = new NpgsqlCommand(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'identity' AND table_name = @table ORDER BY ordinal_position", connection);
        command.Parameters.AddWithValue("table", table);
        var columns = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            columns.Add(reader.GetString(0));
        }

        return columns;
    }

    private static async Task InsertKeysAsync(Options options, string database)
    {
        var now = DateTime.UtcNow;
        var tenants = new List<Guid>();
        await using (var connection = new NpgsqlConnection(database))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT id FROM identity.organisations ORDER BY slug", connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                tenants.Add(reader.GetGuid(0));
            }
        }

        var clock = Stopwatch.StartNew();
        foreach (var tenant in tenants)
        {
            await BulkRows.InsertGraceEndedKeysAsync(database, tenant, options.GraceKeys / tenants.Count, now.AddHours(-2));
            await BulkRows.InsertExpiringKeysAsync(database, tenant, options.ReminderKeys / tenants.Count, now.AddDays(6.5));
        }

        // As autovacuum would have done long before keys reach the end of their grace: visibility map and statistics.
        await BulkRows.ScalarAsync(database, "VACUUM ANALYZE");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  inserted the keys in {clock.Elapsed.TotalSeconds:0.0} s"));
    }

    private static async Task<string> CheckSweepAsync(Options options, string database)
    {
        var audit = await BulkRows.ScalarAsync(database, "SELECT count(*) FROM credentials.audit_events WHERE action = 'key.expired'");
        var auditKeys = await BulkRows.ScalarAsync(database, "SELECT count(DISTINCT api_key_id) FROM credentials.audit_events WHERE action = 'key.expired'");
        var events = await BulkRows.ScalarAsync(database, "SELECT count(*) FROM credentials.outbox_messages WHERE type = 'ApiKeyGraceEnded'");
        var eventKeys = await BulkRows.ScalarAsync(database, "SELECT count(DISTINCT payload::jsonb -> 'key' ->> 'id') FROM credentials.outbox_messages WHERE type = 'ApiKeyGraceEnded'");
        var left = await BulkRows.ScalarAsync(database, "SELECT count(*) FROM credentials.pending_grace_ends");
        var ok = audit == options.GraceKeys && auditKeys == audit && events == audit && eventKeys == audit && left == 0;
        return $"  check: {audit:N0} audit events for {auditKeys:N0} keys, {events:N0} outbox events for {eventKeys:N0} keys, {left} unrecorded: {(ok ? "each key once" : "MISMATCH")}";
    }

    private static async Task<string> CheckRemindersAsync(Options options, string database, TestSmtpServer smtp, List<string> users)
    {
        var reminders = await BulkRows.ScalarAsync(database, "SELECT count(*) FROM notifications.sent_reminders");
        var messages = smtp.Messages;
        var byUser = messages.GroupBy(m => m.To.Mailboxes.Single().Address).ToDictionary(g => g.Key, g => g.ToList());
        var lines = messages.Sum(m => Regex.Matches(m.TextBody ?? string.Empty, "^- idx_test_", RegexOptions.Multiline).Count);
        var duplicates = byUser.Values.Sum(list => list.Count - 1);
        var missing = users.Count(u => !byUser.ContainsKey(u));
        var expectedLines = options.ReminderKeys * 2; // each key in the digest of both of its organisation's users
        var ok = reminders == options.ReminderKeys && duplicates == 0 && missing == 0 && lines == expectedLines;
        return $"  check: {reminders:N0} reminders recorded, {messages.Count:N0} e-mails to {byUser.Count:N0} of {users.Count:N0} users listing {lines:N0} key lines " +
               $"(expected {expectedLines:N0}), {duplicates} duplicates, {missing} lost: {(ok ? "each reminder once" : "MISMATCH")}";
    }

    /// <summary>
    /// A running host (Hangfire on, so <c>outbox-dispatch</c> and <c>email-dispatch</c> run every minute and the urgent
    /// pump every 5 s) with the bulk backlog in its outbox; once it is delivering the backlog, 100 <c>ApiKeyCreated</c>
    /// events are written behind it. Measures how long each notice takes from being written to being accepted by the
    /// SMTP server, and how long the whole backlog takes.
    /// </summary>
    private static async Task<List<string>> OutboxAsync(Options options, Dictionary<string, string> settings, string database, TestSmtpServer smtp)
    {
        smtp.Clear();
        var backlog = await BulkRows.ScalarAsync(database, "SELECT count(*) FROM credentials.outbox_messages WHERE processed_at IS NULL");
        await using var host = await BenchHost.StartAsync(options.HostDll, settings, core: null);
        var clock = Stopwatch.StartNew();
        while (await BulkRows.ScalarAsync(database, "SELECT count(*) FROM credentials.outbox_messages WHERE processed_at IS NOT NULL") == 0)
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(3))
            {
                throw new InvalidOperationException("the outbox-dispatch job did not start within 3 minutes");
            }

            await Task.Delay(100);
        }

        var started = clock.Elapsed;
        var written = clock.Elapsed;
        await BulkRows.ScalarAsync(database,
            """
            WITH t AS (SELECT id, row_number() OVER (ORDER BY slug) AS n FROM identity.organisations ORDER BY slug LIMIT 100)
            INSERT INTO credentials.outbox_messages (event_id, tenant_id, type, payload, occurred_at, priority, attempts)
            SELECT e, t.id, 'ApiKeyCreated',
                   json_build_object('eventId', e, 'tenantId', t.id, 'occurredAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                       'key', json_build_object('id', gen_random_uuid(), 'name', 'notice ' || t.n, 'prefix', 'idx_test_notice' || lpad(t.n::text, 3, '0'),
                                                'expiresAt', to_char(now() AT TIME ZONE 'UTC' + interval '365 days', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
                       'actor', json_build_object('type', 'partner', 'id', null, 'name', 'bench@example.com'))::text,
                   now(), 0, 0
            FROM t, LATERAL (SELECT gen_random_uuid() AS e WHERE t.id IS NOT NULL) AS x
            """);
        var arrived = new Dictionary<string, TimeSpan>();
        TimeSpan? allHandled = null;
        while (clock.Elapsed < TimeSpan.FromMinutes(10) && (arrived.Count < 200 || allHandled is null))
        {
            foreach (var message in smtp.Messages.Where(m => (m.Subject ?? string.Empty).Contains("idx_test_notice", StringComparison.Ordinal)))
            {
                var key = $"{message.To.Mailboxes.Single().Address} {message.Subject}";
                if (!arrived.ContainsKey(key))
                {
                    arrived[key] = clock.Elapsed - written;
                }
            }

            if (allHandled is null && await BulkRows.ScalarAsync(database, "SELECT count(*) FROM credentials.outbox_messages WHERE processed_at IS NULL") == 0)
            {
                allHandled = clock.Elapsed - started;
            }

            await Task.Delay(200);
        }

        var latencies = arrived.Values.Select(v => v.TotalSeconds).Order().ToList();
        var digests = smtp.Messages.Count(m => (m.Subject ?? string.Empty).Contains("rotated API keys retired", StringComparison.Ordinal) ||
                                               (m.Subject ?? string.Empty).StartsWith("Rotated API key retired", StringComparison.Ordinal));
        return
        [
            FormattableString.Invariant($"outbox, {backlog:N0} bulk events and 100 security notices written behind them: the notices' {arrived.Count} e-mails accepted ") +
            FormattableString.Invariant($"{ProbeBench.Median(latencies):0.0} s (p50) / {(latencies.Count == 0 ? double.NaN : latencies[^1]):0.0} s (max) after being written; all events handled ") +
            (allHandled is { } all ? FormattableString.Invariant($"{all.TotalSeconds:0} s after the first was") : "NOT within 10 minutes"),
            $"  check: {arrived.Count} of 200 notice e-mails; " +
            $"{await BulkRows.ScalarAsync(database, "SELECT count(*) FROM notifications.outgoing_emails WHERE kind = 'key-grace-ended'"):N0} retirement digests queued for " +
            $"{await BulkRows.ScalarAsync(database, "SELECT count(DISTINCT recipient) FROM notifications.outgoing_emails WHERE kind = 'key-grace-ended'"):N0} users " +
            $"({digests:N0} accepted by then, the rest go with the next email-dispatch runs); " +
            $"{await BulkRows.ScalarAsync(database, "SELECT count(*) FROM notifications.inbox"):N0} inbox entries for " +
            $"{await BulkRows.ScalarAsync(database, "SELECT count(*) FROM credentials.outbox_messages"):N0} events",
        ];
    }

    /// <summary>The same backlog again: the keys' grace unrecorded, no reminders, no e-mails.</summary>
    private static async Task ResetAsync(string database, TestSmtpServer smtp)
    {
        await BulkRows.ScalarAsync(database,
            """
            TRUNCATE credentials.pending_grace_ends;
            INSERT INTO credentials.pending_grace_ends (key_id, grace_ends_at) SELECT id, grace_ends_at FROM credentials.api_keys WHERE grace_ends_at IS NOT NULL;
            DELETE FROM credentials.audit_events; DELETE FROM credentials.outbox_messages;
            DELETE FROM notifications.sent_reminders; DELETE FROM notifications.outgoing_emails
            """);
        await BulkRows.ScalarAsync(database, "VACUUM ANALYZE");
        smtp.Clear();
    }
}
