using Idunox.Shared.Errors;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Idunox.Identity.Contracts;
using Microsoft.Extensions.DependencyInjection;

namespace Idunox.Testing;

/// <summary>A partner organisation arranged by a test, with one portal user whose password the test knows.</summary>
public sealed record TestPartner(OrganisationInfo Organisation, PartnerUserInfo User, string Password)
{
    public string Email => User.Email;
}

/// <summary>An Idunox staff member arranged by a test, whose password the test knows.</summary>
public sealed record TestStaff(StaffUserInfo User, string Password)
{
    public string Email => User.Email;
}

/// <summary>Arranges tenants and users through the product's own provisioning, as an operator would.</summary>
public static class Arrange
{
    public const string DefaultPassword = "correct horse battery staple";

    public static async Task<TestPartner> PartnerAsync(this IdunoxApp app, string? password = null)
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        await using var scope = app.Services.CreateAsyncScope();
        var provisioning = scope.ServiceProvider.GetRequiredService<IOrganisationProvisioning>();
        var organisation = Expect(await provisioning.AddOrganisationAsync($"Partner {id}", $"p-{id}", CancellationToken.None));
        var user = Expect(await provisioning.AddPartnerUserAsync(organisation.Slug, $"it-{id}@partner.example", $"IT {id}",
            password ?? DefaultPassword, CancellationToken.None));
        return new TestPartner(organisation, user, password ?? DefaultPassword);
    }

    /// <summary>A staff member with the role staff, and ops when asked.</summary>
    public static async Task<TestStaff> StaffAsync(this IdunoxApp app, bool ops = false, bool admin = false)
    {
        var user = await app.ProvisionAsync(p => p.AddStaffUserAsync($"staff-{Guid.NewGuid():N}@idunox.example",
            [.. ops ? [StaffRoles.Ops] : Array.Empty<string>(), .. admin ? [StaffRoles.Admin] : Array.Empty<string>()], DefaultPassword, CancellationToken.None));
        return new TestStaff(user, DefaultPassword);
    }

    public static async Task<PartnerUserInfo> SecondUserAsync(this IdunoxApp app, TestPartner partner)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var provisioning = scope.ServiceProvider.GetRequiredService<IOrganisationProvisioning>();
        return Expect(await provisioning.AddPartnerUserAsync(partner.Organisation.Slug, $"second-{Guid.NewGuid():N}@partner.example",
            null, DefaultPassword, CancellationToken.None));
    }

    public static async Task<T> ProvisionAsync<T>(this IdunoxApp app, Func<IOrganisationProvisioning, Task<Outcome<T>>> action)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return Expect(await action(scope.ServiceProvider.GetRequiredService<IOrganisationProvisioning>()));
    }

    public static async Task<HttpResponseMessage> PostLoginAsync(this HttpClient client, string email, string password) =>
        await client.PostAsJsonAsync(new Uri("/v1/partner/auth/login", UriKind.Relative), new { email, password });

    /// <summary>Signs in and answers the access token; fails the test when sign-in fails.</summary>
    public static async Task<string> SignInAsync(this IdunoxApp app, string email, string password)
    {
        var response = await app.CreateClient().PostLoginAsync(email, password);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Sign-in of {email} failed: {(int)response.StatusCode} {body}");
        }

        return JsonDocument.Parse(body).RootElement.GetProperty("accessToken").GetString()!;
    }

    public static Task<string> SignInAsync(this IdunoxApp app, TestPartner partner) => app.SignInAsync(partner.Email, partner.Password);

    public static HttpClient ClientWithToken(this IdunoxApp app, string token)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static T Expect<T>(Outcome<T> result) =>
        result.Succeeded ? result.Value! : throw new InvalidOperationException($"Arranging failed: {result.Failure!.Message}");
}
