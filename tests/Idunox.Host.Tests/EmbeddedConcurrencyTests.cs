using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Idunox.Host.Tests;

/// <summary>The embedded default on SQLite under parallel use: write-ahead logging and a busy timeout, so nobody sees "database is locked".</summary>
public sealed class EmbeddedConcurrencyTests
{
    [Fact]
    public async Task Fifty_parallel_mixed_requests_on_SQLite_all_answer_without_a_server_error()
    {
        var file = Path.Combine(Path.GetTempPath(), $"idunox-parallel-{Guid.NewGuid():N}.db");
        try
        {
            await using var app = IdunoxApp.OnSqlite(file);
            var partner = await app.PartnerAsync();
            var portal = app.ClientWithToken(await app.SignInAsync(partner));
            var created = await portal.PostAsJsonAsync(new Uri("/v1/partner/credentials", UriKind.Relative), new { name = "shared" });
            var key = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("apiKey").GetString()!;

            using var gate = new SemaphoreSlim(0);
            var requests = Enumerable.Range(0, 50).Select(async i =>
            {
                await gate.WaitAsync();
                return (i % 5) switch
                {
                    0 => await portal.PostAsJsonAsync(new Uri("/v1/partner/credentials", UriKind.Relative), new { name = $"parallel {i}" }),
                    1 => await portal.GetAsync(new Uri("/v1/partner/credentials?status=all", UriKind.Relative)),
                    2 => await Probe(app, key),
                    3 => await app.CreateClient().PostLoginAsync(partner.Email, i % 2 == 0 ? partner.Password : "a wrong password"),
                    _ => await portal.GetAsync(new Uri("/v1/partner/audit", UriKind.Relative)),
                };
            }).ToList();
            gate.Release(50);
            var answers = await Task.WhenAll(requests);

            var failures = answers.Where(a => (int)a.StatusCode >= 500).Select(a => $"{a.RequestMessage?.RequestUri}: {(int)a.StatusCode}").ToList();
            Assert.True(failures.Count == 0, string.Join("\n", failures));
            // The cap of 20 keys allows every creation here (1 + 10).
            Assert.Equal(10, answers.Count(a => a.StatusCode == HttpStatusCode.Created));

            await using var connection = new SqliteConnection($"Data Source={file}");
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode";
            Assert.Equal("wal", await command.ExecuteScalarAsync());
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            foreach (var path in new[] { file, $"{file}-wal", $"{file}-shm" })
            {
                File.Delete(path);
            }
        }
    }

    private static Task<HttpResponseMessage> Probe(IdunoxApp app, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/v1/partner-auth-probe", UriKind.Relative));
        request.Headers.Add("X-Api-Key", key);
        return app.CreateClient().SendAsync(request);
    }
}
