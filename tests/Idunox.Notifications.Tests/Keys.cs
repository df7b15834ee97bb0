using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Idunox.Notifications.Tests;

/// <summary>Key changes through the portal API, as the partner makes them.</summary>
internal static class Keys
{
    public static async Task<HttpClient> PortalAsync(this IdunoxApp app, TestPartner partner) =>
        app.ClientWithToken(await app.SignInAsync(partner));

    public static async Task<(string ApiKey, Guid Id, string Prefix)> CreateKeyAsync(this HttpClient portal, string name, int? expiresInDays = null)
    {
        var response = await portal.PostAsJsonAsync(new Uri("/v1/partner/credentials", UriKind.Relative),
            expiresInDays is null ? new { name } : (object)new { name, expiresInDays });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var credential = body.GetProperty("credential");
        return (body.GetProperty("apiKey").GetString()!, credential.GetProperty("id").GetGuid(), credential.GetProperty("prefix").GetString()!.TrimEnd('…'));
    }

    public static async Task<(string ApiKey, Guid Id)> RotateKeyAsync(this HttpClient portal, Guid id, int graceHours)
    {
        var response = await portal.PostAsJsonAsync(new Uri($"/v1/partner/credentials/{id}/rotate", UriKind.Relative), new { graceHours });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (body.GetProperty("apiKey").GetString()!, body.GetProperty("credential").GetProperty("id").GetGuid());
    }

    public static async Task RevokeKeyAsync(this HttpClient portal, Guid id) =>
        Assert.Equal(HttpStatusCode.OK, (await portal.PostAsync(new Uri($"/v1/partner/credentials/{id}/revoke", UriKind.Relative), null)).StatusCode);
}
