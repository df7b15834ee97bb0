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

    public Task<HttpResponseMessage> PostCreateAsync(object body) => PartnerApi.PostCreateAsync(portal, body);

    /// <summary>Creates a key and answers its plaintext and its credential; fails the test if creation fails.</summary>
    public Task<(string ApiKey, JsonElement Credential)> CreateKeyAsync(string name = "integration", int? expiresInDays = null) =>
        PartnerApi.CreateAsync(portal, name, expiresInDays);

    public Task<HttpResponseMessage> PostRotateAsync(Guid id, object? body = null) => PartnerApi.PostRotateAsync(portal, id, body);

    public Task<(string ApiKey, JsonElement Credential, JsonElement Previous)> RotateAsync(Guid id, int graceHours) =>
        PartnerApi.RotateAsync(portal, id, graceHours);

    public Task<HttpResponseMessage> PostRevokeAsync(Guid id) => PartnerApi.PostRevokeAsync(portal, id);

    public Task<JsonElement> RevokeAsync(Guid id) => PartnerApi.RevokeAsync(portal, id);

    public Task<JsonElement> GetAsync(Guid id) => PartnerApi.GetAsync(portal, id);

    public Task<List<JsonElement>> ListAsync() => PartnerApi.ListAsync(portal);

    public Task<HttpResponseMessage> ProbeAsync(string? apiKey) => PartnerApi.ProbeAsync(app, apiKey);

    public static Task<HttpResponseMessage> Probe(IdunoxApp app, string? apiKey) => PartnerApi.ProbeAsync(app, apiKey);

    public static Task<JsonElement> Expect(HttpResponseMessage response, HttpStatusCode status) => PartnerApi.ExpectAsync(response, status);
}

internal static class CredentialJson
{
    public static Guid Id(this JsonElement credential) => credential.GetProperty("id").GetGuid();

    public static string Status(this JsonElement credential) => credential.GetProperty("status").GetString()!;
}
