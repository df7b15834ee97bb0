using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Idunox.Credentials.Tests;

/// <summary>A plaintext key exists in exactly one HTTP response: never in the database, the logs, the outbox or an error.</summary>
public sealed class SecretTests(PostgresAppFixture fixture) : IClassFixture<PostgresAppFixture>
{
    private IdunoxApp App => fixture.App;

    [Fact]
    public async Task Plaintext_keys_appear_in_no_database_column_and_no_log_line()
    {
        var session = await PartnerSession.StartAsync(App);
        var (created, credential) = await session.CreateKeyAsync("secret keeper");
        await session.ProbeAsync(created);
        var (rotated, successor, _) = await session.RotateAsync(credential.Id(), 48);
        await session.ProbeAsync(rotated);
        await session.RevokeAsync(successor.Id());
        await session.ProbeAsync(rotated); // refused: its refusal is logged too
        await session.ProbeAsync(created[..^1] + "0"); // a near miss, logged as malformed

        // A key staff rotate on the partner's behalf, collected by the partner.
        var (_, forStaff) = await session.CreateKeyAsync("rotated by staff");
        await using (var scope = App.Services.CreateAsyncScope())
        {
            var staffRotation = await scope.ServiceProvider.GetRequiredService<Idunox.Credentials.Contracts.ITenantKeyAdministration>().RotateAsync(
                session.Partner.Organisation.Id, forStaff.Id(), 24, null, new Idunox.Credentials.Contracts.StaffKeyAction(Guid.NewGuid(), "vault lost", null),
                CancellationToken.None);
            Assert.True(staffRotation.Succeeded, staffRotation.Failure?.Message);
        }

        var offer = (await PartnerSession.Expect(await session.Portal.GetAsync(new Uri("/v1/partner/credentials/handovers", UriKind.Relative)), HttpStatusCode.OK))
            .GetProperty("items")[0].GetProperty("id").GetGuid();
        var collected = (await PartnerSession.Expect(await session.Portal.PostAsync(new Uri($"/v1/partner/credentials/handovers/{offer}/collect", UriKind.Relative), null),
            HttpStatusCode.Created)).GetProperty("apiKey").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await session.ProbeAsync(collected)).StatusCode);

        string[] secrets = [created, rotated, collected, created[17..], rotated[17..], collected[17..], created[9..41], rotated[9..41], collected[9..41]];

        var rows = await DumpAllRowsAsync();
        Assert.NotEmpty(rows);
        Assert.Contains(rows, r => r.Contains(created[..17], StringComparison.Ordinal)); // the prefix is stored, so the dump is real
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(rows, r => r.Contains(secret, StringComparison.Ordinal));
        }

        var logs = App.Logs.Lines;
        Assert.Contains(logs, l => l.Contains("Executed DbCommand", StringComparison.Ordinal)); // the capture sees everything
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(logs, l => l.Contains(secret, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Only_the_SHA_256_of_the_whole_key_and_its_display_prefix_are_kept()
    {
        var session = await PartnerSession.StartAsync(App);
        var (key, credential) = await session.CreateKeyAsync();

        await using var connection = new NpgsqlConnection(fixture.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT hash, prefix FROM credentials.api_keys WHERE id = @id", connection);
        command.Parameters.AddWithValue("id", credential.Id());
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(SHA256.HashData(Encoding.ASCII.GetBytes(key)), (byte[])reader["hash"]);
        Assert.Equal(key[..17], reader.GetString(1));
    }

    [Fact]
    public async Task Errors_never_echo_the_presented_key()
    {
        var session = await PartnerSession.StartAsync(App);
        var (key, credential) = await session.CreateKeyAsync();
        await session.RevokeAsync(credential.Id());

        foreach (var presented in new[] { key, key[..^1] + "x", key + "extra" })
        {
            var response = await session.ProbeAsync(presented);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.DoesNotContain(presented[9..], await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    private async Task<List<string>> DumpAllRowsAsync()
    {
        await using var connection = new NpgsqlConnection(fixture.Database.ConnectionString);
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand(
            "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) FROM information_schema.tables " +
            "WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')", connection))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        var rows = new List<string>();
        foreach (var table in tables)
        {
            await using var dump = new NpgsqlCommand($"SELECT row_to_json(t)::text FROM {table} t", connection);
            await using var reader = await dump.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows.Add(reader.GetString(0));
            }
        }

        return rows;
    }
}
