using Idunox.Identity.Contracts;
using Microsoft.Extensions.DependencyInjection;
using OtpNet;

namespace Idunox.Identity.Tests;

/// <summary>Staff sign-in below the pages: identical refusals, lockout of passwords and codes, recovery codes kept as hashes.</summary>
public sealed class StaffAccountsTests(PostgresAppFixture fixture) : IClassFixture<PostgresAppFixture>
{
    private async Task<T> WithAccountsAsync<T>(Func<IStaffAccounts, Task<T>> action)
    {
        await using var scope = fixture.App.Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<IStaffAccounts>());
    }

    private Task<StaffCheck> PasswordAsync(string email, string password) =>
        WithAccountsAsync(a => a.CheckPasswordAsync(email, password, "198.51.100.7", CancellationToken.None));

    [Fact]
    public async Task An_unknown_address_and_a_wrong_password_get_the_same_refusal_and_a_partner_account_is_no_staff_account()
    {
        var staff = await fixture.App.StaffAsync();
        var partner = await fixture.App.PartnerAsync();

        var unknown = await PasswordAsync($"nobody-{Guid.NewGuid():N}@idunox.example", Arrange.DefaultPassword);
        var wrong = await PasswordAsync(staff.Email, "not the password at all");
        var partnerAccount = await PasswordAsync(partner.Email, partner.Password);

        Assert.Null(unknown.Member);
        Assert.Equal(unknown.Refusal, wrong.Refusal);
        Assert.Equal(unknown.Refusal, partnerAccount.Refusal);
        Assert.Equal(StaffRefusal.InvalidCredentials, wrong.Refusal!.Code);
        var right = await PasswordAsync(staff.Email, staff.Password);
        Assert.Equal(staff.User.Id, right.Member!.Id);
        Assert.False(right.Member.HasAuthenticator);
    }

    [Fact]
    public async Task Five_wrong_passwords_lock_the_address_until_the_lockout_ends_even_for_the_right_password()
    {
        var staff = await fixture.App.StaffAsync();
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(StaffRefusal.InvalidCredentials, (await PasswordAsync(staff.Email, $"wrong guess {i}")).Refusal!.Code);
        }

        var locked = await PasswordAsync(staff.Email, staff.Password);
        Assert.Equal(StaffRefusal.TooManyAttempts, locked.Refusal!.Code);
        Assert.NotNull(locked.Refusal.RetryAfter);

        fixture.App.Clock.Advance(TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(1));
        Assert.NotNull((await PasswordAsync(staff.Email, staff.Password)).Member);
    }

    [Fact]
    public async Task Enrolment_needs_a_right_code_wrong_codes_lock_out_and_each_recovery_code_works_once()
    {
        var staff = await fixture.App.StaffAsync();
        var enrolment = await WithAccountsAsync(a => a.BeginEnrolmentAsync(staff.User.Id, CancellationToken.None));
        Assert.StartsWith("otpauth://totp/", enrolment!.AuthenticatorUri, StringComparison.Ordinal);
        Assert.Contains(Uri.EscapeDataString(staff.Email), enrolment.AuthenticatorUri, StringComparison.Ordinal);
        var key = Base32Encoding.ToBytes(enrolment.SharedKey.Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant());
        string Code() => new Totp(key).ComputeTotp(DateTime.UtcNow);

        Assert.Equal(StaffRefusal.InvalidCode,
            (await WithAccountsAsync(a => a.CompleteEnrolmentAsync(staff.User.Id, Code() == "000000" ? "111111" : "000000", CancellationToken.None))).Refusal!.Code);
        var enrolled = await WithAccountsAsync(a => a.CompleteEnrolmentAsync(staff.User.Id, Code(), CancellationToken.None));
        Assert.Equal(10, enrolled.RecoveryCodes!.Distinct().Count());
        Assert.True(enrolled.Member!.HasAuthenticator);
        Assert.Null(await WithAccountsAsync(a => a.BeginEnrolmentAsync(staff.User.Id, CancellationToken.None))); // enrolled once

        // Recovery codes are stored as hashes: none of them is in the database as shown.
        await using (var connection = new Npgsql.NpgsqlConnection(fixture.Database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand($"SELECT value FROM identity.staff_user_tokens WHERE user_id = '{staff.User.Id}' AND name = 'RecoveryCodes'", connection);
            var stored = (string)(await command.ExecuteScalarAsync())!;
            Assert.DoesNotContain(enrolled.RecoveryCodes!, c => stored.Contains(c, StringComparison.OrdinalIgnoreCase));
        }

        var recovery = enrolled.RecoveryCodes![0];
        var first = await WithAccountsAsync(a => a.VerifySecondFactorAsync(staff.User.Id, recovery, CancellationToken.None));
        Assert.True(first.UsedRecoveryCode);
        Assert.Equal(9, first.RecoveryCodesLeft);
        Assert.Equal(StaffRefusal.InvalidCode, (await WithAccountsAsync(a => a.VerifySecondFactorAsync(staff.User.Id, recovery, CancellationToken.None))).Refusal!.Code);
        // Every other code still works, once each.
        var second = await WithAccountsAsync(a => a.VerifySecondFactorAsync(staff.User.Id, enrolled.RecoveryCodes[7], CancellationToken.None));
        Assert.True(second.UsedRecoveryCode);
        Assert.Equal(8, second.RecoveryCodesLeft);

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(StaffRefusal.InvalidCode, (await WithAccountsAsync(a => a.VerifySecondFactorAsync(staff.User.Id, $"guess-{i}", CancellationToken.None))).Refusal!.Code);
        }

        // Five wrong codes in a row: even the right code waits for the lockout to end.
        Assert.Equal(StaffRefusal.TooManyAttempts, (await WithAccountsAsync(a => a.VerifySecondFactorAsync(staff.User.Id, Code(), CancellationToken.None))).Refusal!.Code);
        fixture.App.Clock.Advance(TimeSpan.FromMinutes(16));
        Assert.NotNull((await WithAccountsAsync(a => a.VerifySecondFactorAsync(staff.User.Id, Code(), CancellationToken.None))).Member);
    }

    [Fact]
    public async Task A_session_ends_when_the_security_stamp_changes()
    {
        var staff = await fixture.App.StaffAsync();
        var member = (await PasswordAsync(staff.Email, staff.Password)).Member!;
        Assert.NotNull(await WithAccountsAsync(a => a.FindSessionMemberAsync(member.Id, member.SecurityStamp, CancellationToken.None)));
        Assert.Null(await WithAccountsAsync(a => a.FindSessionMemberAsync(member.Id, "another stamp", CancellationToken.None)));
        Assert.Null(await WithAccountsAsync(a => a.FindSessionMemberAsync(Guid.NewGuid(), member.SecurityStamp, CancellationToken.None)));
    }
}
