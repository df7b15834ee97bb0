using System.Text.RegularExpressions;
using Idunox.Credentials.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Idunox.Portal.Tests;

/// <summary>What a person does in the portal, as steps the tests share.</summary>
public static class Portal
{
    public static async Task SignInAsync(this IPage page, string email, string password, string path = "/partner/keys")
    {
        await page.GotoAsync(path);
        await page.GetByLabel("E-mail address").FillAsync(email);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync(password);
        // Wait for the answer to the form (the next page, or the form with its message) to be loaded, so that
        // whatever the caller reads next is read from that page and not from one still being replaced.
        await page.ClickAndWaitForPageAsync(page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }));
    }

    /// <summary>
    /// Clicks a link or a submit button and waits until the page it leads to (or the form answered with its messages)
    /// is loaded: what a test reads next is then read from that page and never from the one being replaced.
    /// </summary>
    public static async Task ClickAndWaitForPageAsync(this IPage page, ILocator target)
    {
#pragma warning disable CS0612 // Playwright marks it obsolete in favour of WaitForURL, which cannot wait for a form answered on the same address.
        await page.RunAndWaitForNavigationAsync(() => target.ClickAsync());
#pragma warning restore CS0612
    }

    public static Task SignInAsync(this IPage page, TestPartner partner, string path = "/partner/keys") =>
        page.SignInAsync(partner.Email, partner.Password, path);

    /// <summary>Creates a key through the form and answers the plaintext shown once.</summary>
    public static async Task<string> CreateKeyAsync(this IPage page, string name, int? days = null)
    {
        await page.GotoAsync("/partner/keys/new");
        await page.GetByLabel("Name").FillAsync(name);
        if (days is { } d)
        {
            await page.GetByLabel("Valid for (days)").FillAsync(d.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        await page.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "Key created" }).WaitForAsync();
        return await page.GetByLabel("New API key").InputValueAsync();
    }

    public static async Task<string> SignInThenCreateKeyAsync(this IPage page, TestPartner partner, string name)
    {
        await page.SignInAsync(partner);
        return await page.CreateKeyAsync(name);
    }

    /// <summary>A form to post by hand from the page's browser context (its cookies, no antiforgery token unless given).</summary>
    public static IFormData FormOf(this IPage page, params (string Name, string Value)[] fields)
    {
        var form = page.Context.APIRequest.CreateFormData();
        foreach (var (name, value) in fields)
        {
            form.Append(name, value);
        }

        return form;
    }

    /// <summary>The row of a key in the list, found by its name.</summary>
    public static ILocator KeyRow(this IPage page, string name) =>
        page.Locator("table.list tbody tr").Filter(new() { Has = page.Locator("td[data-label='Name']", new() { HasTextRegex = new Regex($"^\\s*{Regex.Escape(name)}") }) });

    public static async Task<HttpResponseMessage> ProbeAsync(this PortalFixture fixture, string key)
    {
        using var client = fixture.CreateHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/partner-auth-probe");
        request.Headers.Add("X-Api-Key", key);
        return await client.SendAsync(request);
    }

    /// <summary>
    /// A key of the partner's, rotated by staff on its behalf (as the staff area does it): answers the id of the offer of
    /// its successor, which waits to be collected.
    /// </summary>
    public static async Task<Guid> KeyOfferedByStaffAsync(this PortalFixture fixture, IPage page, TestPartner partner, string name)
    {
        await page.CreateKeyAsync(name);
        var keyId = await fixture.ScalarAsync<Guid>(
            $"SELECT id FROM credentials.api_keys WHERE tenant_id = '{partner.Organisation.Id}' AND name = '{name}' ORDER BY created_at DESC LIMIT 1");
        await using var scope = fixture.App.Services.CreateAsyncScope();
        var result = await scope.ServiceProvider.GetRequiredService<ITenantKeyAdministration>().RotateAsync(partner.Organisation.Id, keyId, 48, null,
            new StaffKeyAction(Guid.NewGuid(), "Rotated at your request (ticket 4711)", null), CancellationToken.None);
        Assert.True(result.Succeeded, result.Failure?.Message);
        return result.Value!.Offer.Id;
    }
}
