using System.Net;
using System.Text;
using Idunox.Testing;

namespace Idunox.Host.Tests;

/// <summary>
/// The body limit on the real server (Kestrel; the in-memory test server does not enforce it): a body without a declared
/// length that grows past <c>Http:MaxRequestBodyBytes</c> is a 413 problem, also now that bodies are read through a
/// buffer, and one within the limit is read whole.
/// </summary>
public sealed class RequestBodyLimitTests
{
    [Fact]
    public async Task A_chunked_body_past_the_limit_is_413_and_one_within_it_is_read()
    {
        await using var host = await RunningHost.StartAsync(new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["ConnectionStrings__Idunox"] = $"Data Source={Path.Combine(Path.GetTempPath(), $"idunox-limit-{Guid.NewGuid():N}.db")}",
            ["Email__PickupDirectory"] = Path.Combine(Path.GetTempPath(), $"idunox-limit-mail-{Guid.NewGuid():N}"),
            ["Http__MaxRequestBodyBytes"] = "4096",
        });
        using var client = new HttpClient { BaseAddress = host.Address };

        async Task<HttpResponseMessage> PostChunkedAsync(string json)
        {
            using var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(json)));
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/partner/auth/login") { Content = content };
            request.Headers.TransferEncodingChunked = true;
            return await client.SendAsync(request);
        }

        var tooLarge = await PostChunkedAsync($$"""{"email":"partner@demo.test","password":"{{new string('x', 10_000)}}"}""");
        await tooLarge.AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge, "payload_too_large");

        var fits = await PostChunkedAsync("""{"email":"partner@demo.test","password":"demo-partner-password"}""");
        Assert.Equal(HttpStatusCode.OK, fits.StatusCode);
    }
}
