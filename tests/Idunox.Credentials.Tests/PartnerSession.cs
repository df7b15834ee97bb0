using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Idunox.Credentials.Tests;

/// <summary>A signed-in partner's portal calls, and the data API calls made with its keys.</summary>
internal sealed class PartnerSession(IdunoxApp app, TestPartner partner, HttpClient portal)
{
    public TestPartner Partner => partner;

    public HttpClient Portal => portal;

    public static async Task<PartnerSession> StartAsync(IdunoxApp app)
    {
        var partner = await app.PartnerAsync();
        return new PartnerSession(app, partner, app.CreateDefaultClient(new FreshToken(app, partner)));
    }

    /// <summary>Signs in again whenever the fake clock has moved past the token's lifetime, as the portal would.</summary>
    private sealed class FreshToken(IdunoxApp app, TestPartner partner) : DelegatingHandler
    {
        private string? _token;
        private DateTimeOffset _expires;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (_token is null || app.Clock.GetUtcNow() >= _expires)
            {
                _token = await app.SignInAsync(partner);
                _expires = app.Clock.GetUtcNow().AddMinutes(59);
            }

            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", _token);
            return await base.SendAsync(request, cancellationToken);
        }
    }

    public Task<HttpResponseMessage> PostCreateAsync(object body) =>
        portal.PostAsJsonAsync(new Uri("/v1/partner/credentials", UriKind.Relative), body);

    /// <summary>Creates a key and answers its plaintext and its credential; fails the test if creation fails.</summary>
    public async Task<(string ApiKey, JsonElement Credential)> CreateKeyAsync(string name = "integration", int? expiresInDays = null)
    {
        var response = await PostCreateAsync(expiresInDays is null ? new { name } : new { name, expiresInDays });
        var body = await Expect(response, HttpStatusCode.Created);
        return (body.GetProperty("apiKey").GetString()!, body.GetProperty("credential"));
    }

    public Task<HttpResponseMessage> PostRotateAsync(Guid id, object? body = null) =>
        portal.PostAsJsonAsync(new Uri($"/v1/partner/credentials/{id}/rotate", UriKind.Relative), body ?? new { });

    public async Task<(string ApiKey, JsonElement Credential, JsonElement Previous)> RotateAsync(Guid id, int graceHours)
    {
        var body = await Expect(await PostRotateAsync(id, new { graceHours }), HttpStatusCode.Created);
        return (body.GetProperty("apiKey").GetString()!, body.GetProperty("credential"), body.GetProperty("previous"));
    }

    public Task<HttpResponseMessage> PostRevokeAsync(Guid id) =>
        portal.PostAsync(new Uri($"/v1/partner/credentials/{id}/revoke", UriKind.Relative), null);

    public async Task<JsonElement> RevokeAsync(Guid id) =>
        (await Expect(await PostRevokeAsync(id), HttpStatusCode.OK)).GetProperty("credential");

    public async Task<JsonElement> GetAsync(Guid id) =>
        (await Expect(await portal.GetAsync(new Uri($"/v1/partner/credentials/{id}", UriKind.Relative)), HttpStatusCode.OK)).GetProperty("credential");

    public async Task<List<JsonElement>> ListAsync() =>
        (await Expect(await portal.GetAsync(new Uri("/v1/partner/credentials", UriKind.Relative)), HttpStatusCode.OK))
            .GetProperty("items").EnumerateArray().ToList();

    public Task<HttpResponseMessage> ProbeAsync(string? apiKey) => Probe(app, apiKey);

    public static Task<HttpResponseMessage> Probe(IdunoxApp app, string? apiKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/v1/partner-auth-probe", UriKind.Relative));
        if (apiKey is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Api-Key", apiKey);
        }

        return app.CreateClient().SendAsync(request);
    }

    public static async Task<JsonElement> Expect(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"Expected {(int)status}, got {(int)response.StatusCode}: {text}");
        return JsonSerializer.Deserialize<JsonElement>(text);
    }
}

internal static class CredentialJson
{
    public static Guid Id(this JsonElement credential) => credential.GetProperty("id").GetGuid();

    public static string Status(this JsonElement credential) => credential.GetProperty("status").GetString()!;
}
