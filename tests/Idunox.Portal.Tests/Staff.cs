using Microsoft.Playwright;
using OtpNet;

namespace Idunox.Portal.Tests;

/// <summary>What a staff member does in the staff area, as steps the tests share. TOTP codes are computed here, as the phone would.</summary>
public static class Staff
{
    /// <summary>The password step, on the staff sign-in page (or wherever the path leads to it).</summary>
    public static async Task PasswordStepAsync(this IPage page, TestStaff staff, string path = "/admin")
    {
        await page.GotoAsync(path);
        await page.GetByLabel("E-mail address").FillAsync(staff.Email);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync(staff.Password);
        await page.ClickAndWaitForPageAsync(page.GetByRole(AriaRole.Button, new() { Name = "Continue" }));
    }

    /// <summary>First sign-in: password, then enrolment of an authenticator. Answers the shared key and the recovery codes.</summary>
    public static async Task<(string Key, IReadOnlyList<string> RecoveryCodes)> EnrolAsync(this IPage page, IdunoxApp app, TestStaff staff, string path = "/admin")
    {
        await page.PasswordStepAsync(staff, path);
        await page.GetByRole(AriaRole.Heading, new() { Name = "Set up your authenticator" }).WaitForAsync();
        var key = (await page.GetByLabel("Authenticator key").InnerTextAsync()).Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant();
        await page.GetByLabel("Code from the app").FillAsync(app.FreshCode(key));
        await page.GetByRole(AriaRole.Button, new() { Name = "Turn on two-factor sign-in" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "Your recovery codes" }).WaitForAsync();
        var codes = await page.GetByRole(AriaRole.List, new() { Name = "Recovery codes" }).Locator("li").AllInnerTextsAsync();
        return (key, codes.Select(c => c.Trim()).ToList());
    }

    /// <summary>Enrols and continues to the page asked for: a signed-in staff member with its authenticator key.</summary>
    public static async Task<string> SignInStaffAsync(this IPage page, IdunoxApp app, TestStaff staff, string path = "/admin")
    {
        var (key, _) = await page.EnrolAsync(app, staff, path);
        await page.GetByRole(AriaRole.Link, new() { Name = "I have stored them — continue" }).ClickAsync();
        return key;
    }

    /// <summary>A later sign-in: password, then the code (or a recovery code).</summary>
    public static async Task SignInWithCodeAsync(this IPage page, TestStaff staff, string code, string path = "/admin")
    {
        await page.PasswordStepAsync(staff, path);
        await page.GetByLabel("Authenticator code").FillAsync(code);
        await page.ClickAndWaitForPageAsync(page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }));
    }

    /// <summary>A new staff member, enrolled and signed in, on the organisations page.</summary>
    public static async Task<(TestStaff Staff, IPage Page, string Key)> SignedInStaffAsync(this PortalFixture fixture, bool ops = false,
        string theme = "light", int width = 1280, bool admin = false)
    {
        var staff = await fixture.App.StaffAsync(ops, admin);
        var page = await fixture.NewPageAsync(width);
        await page.Context.AddCookiesAsync([new Microsoft.Playwright.Cookie { Name = Shared.Web.Theme.CookieName, Value = theme, Url = fixture.BaseAddress.ToString() }]);
        var key = await page.SignInStaffAsync(fixture.App, staff);
        await page.GetByRole(AriaRole.Heading, new() { Name = "Organisations", Exact = true }).WaitForAsync();
        return (staff, page, key);
    }

    /// <summary>The e-mails (pickup .eml files) sent to one address, waiting up to 10 s for at least <paramref name="atLeast"/>.</summary>
    public static Task<IReadOnlyList<MimeKit.MimeMessage>> MailToAsync(this PortalFixture fixture, string recipient, int atLeast = 1) =>
        fixture.App.MailToAsync(recipient, atLeast);

    /// <summary>The one-time link an account e-mail carries, as a path for the test host.</summary>
    public static string LinkIn(MimeKit.MimeMessage message) =>
        new Uri(System.Text.RegularExpressions.Regex.Match(message.TextBody ?? "", @"https?://\S+/(partner/welcome|partner/reset-password|admin/welcome)\?token=\S+").Value).PathAndQuery;

    /// <summary>The code the authenticator app shows now, by the host's (fake) clock.</summary>
    public static string Code(this IdunoxApp app, string key) => new Totp(Base32Encoding.ToBytes(key)).ComputeTotp(app.Clock.GetUtcNow().UtcDateTime);

    /// <summary>
    /// A code of a time step no sign-in has used yet: the host's clock moves to the start of the next 30-second step first
    /// (each step's code is accepted once, as a person typing a code a little later would see).
    /// </summary>
    public static string FreshCode(this IdunoxApp app, string key)
    {
        var seconds = app.Clock.GetUtcNow().ToUnixTimeSeconds();
        app.Clock.Advance(TimeSpan.FromSeconds(30 - (seconds % 30)));
        return app.Code(key);
    }
}
