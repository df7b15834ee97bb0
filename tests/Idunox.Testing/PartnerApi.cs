using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit;

namespace Idunox.Testing;

/// <summary>
/// The partner API's key calls as a partner's script makes them, on a client that carries the partner's token: the one
/// helper every test project uses (each answer checked for its status, with the body in the failure message).
/// </summary>
public static class PartnerApi
{
    public static Task<HttpResponseMessage> PostCreateAsync(HttpClient portal, object body) =>
        portal.PostAsJsonAsync(new Uri("/v1/partner/credentials", UriKind.Relative), body);

    /// <summary>Creates a key: its plaintext and its credential.</summary>
    public static async Task<(string ApiKey, JsonElement Credential)> CreateAsync(HttpClient portal, string name, int? expiresInDays = null)
    {
        var body = await ExpectAsync(await PostCreateAsync(portal, expiresInDays is null ? new { name } : new { name, expiresInDays }), HttpStatusCode.Created);
        return (body.GetProperty("apiKey").GetString()!, body.GetProperty("credential"));
    }

    public static Task<HttpResponseMessage> PostRotateAsync(HttpClient portal, Guid id, object? body = null) =>
        portal.PostAsJsonAsync(new Uri($"/v1/partner/credentials/{id}/rotate", UriKind.Relative), body ?? new { });

    /// <summary>Rotates a key: the successor's plaintext and credential, and the key it replaced.</summary>
    public static async Task<(string ApiKey, JsonElement Credential, JsonElement Previous)> RotateAsync(HttpClient portal, Guid id, int graceHours)
    {
        var body = await ExpectAsync(await PostRotateAsync(portal, id, new { graceHours }), HttpStatusCode.Created);
        return (body.GetProperty("apiKey").GetString()!, body.GetProperty("credential"), body.GetProperty("previous"));
    }

    /// <summary><c>PATCH /v1/partner/credentials/{id}</c> with a JSON merge patch, as written.</summary>
    public static Task<HttpResponseMessage> PatchAsync(HttpClient portal, Guid id, string json, string type = "application/merge-patch+json") =>
        portal.PatchAsync(new Uri($"/v1/partner/credentials/{id}", UriKind.Relative), new StringContent(json, System.Text.Encoding.UTF8, type));

    public static Task<HttpResponseMessage> PostRevokeAsync(HttpClient portal, Guid id) =>
        portal.PostAsync(new Uri($"/v1/partner/credentials/{id}/revoke", UriKind.Relative), null);

    public static async Task<JsonElement> RevokeAsync(HttpClient portal, Guid id) =>
        (await ExpectAsync(await PostRevokeAsync(portal, id), HttpStatusCode.OK)).GetProperty("credential");

    public static async Task<JsonElement> GetAsync(HttpClient portal, Guid id) =>
        (await ExpectAsync(await portal.GetAsync(new Uri($"/v1/partner/credentials/{id}", UriKind.Relative)), HttpStatusCode.OK)).GetProperty("credential");

    public static async Task<List<JsonElement>> ListAsync(HttpClient portal) =>
        (await ExpectAsync(await portal.GetAsync(new Uri("/v1/partner/credentials", UriKind.Relative)), HttpStatusCode.OK))
            .GetProperty("items").EnumerateArray().ToList();

    /// <summary>The data API's probe with a key (or none), as an integration calls it; from <paramref name="clientAddress"/> when one is given.</summary>
    public static Task<HttpResponseMessage> ProbeAsync(IdunoxApp app, string? apiKey, string? clientAddress = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/v1/partner-auth-probe", UriKind.Relative));
        if (apiKey is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Api-Key", apiKey);
        }

        if (clientAddress is not null)
        {
            request.Headers.Add(IdunoxApp.ClientAddressHeader, clientAddress);
        }

        return app.CreateClient().SendAsync(request);
    }

    /// <summary>The answer's JSON body, after checking its status (the failure message carries the body).</summary>
    public static async Task<JsonElement> ExpectAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"Expected {(int)status}, got {(int)response.StatusCode}: {text}");
        return JsonSerializer.Deserialize<JsonElement>(text);
    }
}
