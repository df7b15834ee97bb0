namespace Idunox.Notifications.Tests;

/// <summary>Key changes through the portal API, as the partner makes them.</summary>
internal static class Keys
{
    public static async Task<HttpClient> PortalAsync(this IdunoxApp app, TestPartner partner) =>
        app.ClientWithToken(await app.SignInAsync(partner));

    public static async Task<(string ApiKey, Guid Id, string Prefix)> CreateKeyAsync(this HttpClient portal, string name, int? expiresInDays = null)
    {
        var (apiKey, credential) = await PartnerApi.CreateAsync(portal, name, expiresInDays);
        return (apiKey, credential.GetProperty("id").GetGuid(), credential.GetProperty("prefix").GetString()!.TrimEnd('…'));
    }

    public static async Task<(string ApiKey, Guid Id)> RotateKeyAsync(this HttpClient portal, Guid id, int graceHours)
    {
        var (apiKey, credential, _) = await PartnerApi.RotateAsync(portal, id, graceHours);
        return (apiKey, credential.GetProperty("id").GetGuid());
    }

    public static Task RevokeKeyAsync(this HttpClient portal, Guid id) => PartnerApi.RevokeAsync(portal, id);
}
