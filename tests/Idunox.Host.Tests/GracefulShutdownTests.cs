using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Idunox.Testing;
using Microsoft.Data.Sqlite;

namespace Idunox.Host.Tests;

/// <summary>
/// <c>SIGTERM</c> with a request in flight, on the built host as its own process: it stops taking connections, answers
/// the request it had, stops its job server, writes the <c>lastUsedAt</c> times it had only noted, and exits 0.
/// </summary>
public sealed class GracefulShutdownTests
{
    [Fact]
    public async Task On_SIGTERM_the_host_finishes_the_request_in_flight_writes_what_it_noted_and_exits_0()
    {
        var database = Path.Combine(Path.GetTempPath(), $"idunox-shutdown-{Guid.NewGuid():N}.db");
        await using var host = await RunningHost.StartAsync(new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development", // the demo partner is there to sign in with
            ["ConnectionStrings__Idunox"] = $"Data Source={database}",
            ["Email__PickupDirectory"] = Path.Combine(Path.GetTempPath(), $"idunox-shutdown-mail-{Guid.NewGuid():N}"),
            // Only the shutdown writes lastUsedAt (the periodic flush is an hour away).
            ["Credentials__Verification__LastUsedFlushSeconds"] = "300",
            // "Request starting" tells the test the slow request has reached the host.
            ["Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information",
        });
        using var client = new HttpClient { BaseAddress = host.Address };
        var login = await client.PostAsJsonAsync("/v1/partner/auth/login", new { email = "partner@demo.test", password = "demo-partner-password" });
        var token = (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        var created = await (await client.PostAsJsonAsync("/v1/partner/credentials", new { name = "used before shutdown" })).Content.ReadFromJsonAsync<JsonElement>();
        var keyId = created.GetProperty("credential").GetProperty("id").GetGuid();
        client.DefaultRequestHeaders.Authorization = null;
        using (var probe = new HttpRequestMessage(HttpMethod.Get, "/v1/partner-auth-probe"))
        {
            probe.Headers.Add("X-Api-Key", created.GetProperty("apiKey").GetString());
            Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(probe)).StatusCode);
        }

        Assert.Null(await LastUsedAtAsync(database, keyId)); // noted, not written yet

        // A sign-in whose body is still on its way when the signal comes.
        var body = Encoding.UTF8.GetBytes("""{"email":"partner@demo.test","password":"demo-partner-password"}""");
        var linesBefore = host.Output.Count; // the sign-in and the key above wrote "Request starting … POST" lines of their own
        using var slow = new TcpClient();
        await slow.ConnectAsync(IPAddress.Loopback, host.Port);
        var stream = slow.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"POST /v1/partner/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n"));
        await stream.WriteAsync(body.AsMemory(0, 10));
        await host.WaitForOutputAsync("Request starting HTTP/1.1 POST", TimeSpan.FromSeconds(30), from: linesBefore);

        await host.SignalAsync("TERM");

        // New connections are refused (the listener closes first)...
        await WaitUntilRefusedAsync(host.Port);

        // ...while the request in flight is answered in full.
        await stream.WriteAsync(body.AsMemory(10));
        var answer = await ReadAnswerAsync(stream);
        Assert.True(answer.StartsWith("HTTP/1.1 200", StringComparison.Ordinal), $"{answer}\n{string.Join('\n', host.Output)}");
        Assert.Contains("\"accessToken\"", answer, StringComparison.Ordinal);

        Assert.Equal(0, await host.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.NotNull(await LastUsedAtAsync(database, keyId));
        Assert.DoesNotContain(host.Output, l => l.Contains("fail:", StringComparison.Ordinal) || l.Contains("crit:", StringComparison.Ordinal));
    }

    private static async Task<string?> LastUsedAtAsync(string database, Guid keyId)
    {
        await using var connection = new SqliteConnection($"Data Source={database};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT last_used_at FROM credentials_api_keys WHERE id = $id";
        command.Parameters.AddWithValue("$id", keyId.ToString().ToUpperInvariant());
        var value = await command.ExecuteScalarAsync();
        if (value is null)
        {
            command.Parameters["$id"].Value = keyId.ToString();
            value = await command.ExecuteScalarAsync();
        }

        Assert.NotNull(value); // the key row exists
        return value is DBNull ? null : (string)value;
    }

    private static async Task WaitUntilRefusedAsync(int port)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
            }
            catch (SocketException)
            {
                return;
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "the host kept accepting connections after SIGTERM");
            await Task.Delay(50);
        }
    }

    private static async Task<string> ReadAnswerAsync(NetworkStream stream)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var received = new MemoryStream();
        var buffer = new byte[4096];
        while (true)
        {
            var read = await stream.ReadAsync(buffer, limit.Token);
            if (read == 0)
            {
                break;
            }

            received.Write(buffer, 0, read);
            var text = Encoding.UTF8.GetString(received.ToArray());
            var headerEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (headerEnd > 0 && text.Contains("Content-Length: ", StringComparison.OrdinalIgnoreCase))
            {
                var length = int.Parse(text[(text.IndexOf("Content-Length: ", StringComparison.OrdinalIgnoreCase) + 16)..].Split("\r\n")[0], System.Globalization.CultureInfo.InvariantCulture);
                if (Encoding.UTF8.GetByteCount(text[(headerEnd + 4)..]) >= length)
                {
                    return text;
                }
            }
            else if (headerEnd > 0 && text.EndsWith("0\r\n\r\n", StringComparison.Ordinal))
            {
                return text; // chunked, complete
            }
        }

        return Encoding.UTF8.GetString(received.ToArray());
    }
}
