using Idunox.Shared.Errors;
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

    private Task<Outcome<StaffCheck>> PasswordAsync(string email, string password) =>
        WithAccountsAsync(a => a.CheckPasswordAsync(email, password, "198.51.100.7", CancellationToken.None));

    [Fact]
    public async Task An_unknown_address_and_a_wrong_password_get_the_same_refusal_and_a_partner_account_is_no_staff_account()
    {
        var staff = await fixture.App.StaffAsync();
        var partner = await fixture.App.PartnerAsync();

        var unknown = await PasswordAsync($"nobody-{Guid.NewGuid():N}@idunox.example", Arrange.DefaultPassword);
        var wrong = await PasswordAsync(staff.Email, "not the password at all");
        var partnerAccount = await PasswordAsync(partner.Email, partner.Password);

        Assert.Null(unknown.Value?.Member);
        Assert.Equal(unknown.Failure, wrong.Failure);
        Assert.Equal(unknown.Failure, partnerAccount.Failure);
        Assert.Equal(StaffRefusal.InvalidCredentials, wrong.Failure!.Code);
        var right = await PasswordAsync(staff.Email, staff.Password);
        Assert.Equal(staff.User.Id, right.Value?.Member!.Id);
        Assert.False(right.Value?.Member.HasAuthenticator);
    }

    [Fact]
    public async Task Five_wrong_passwords_lock_the_address_until_the_lockout_ends_even_for_the_right_password()
    {
        var staff = await fixture.App.StaffAsync();
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(StaffRefusal.InvalidCredentials, (await PasswordAsync(staff.Email, $"wrong guess {i}")).Failure!.Code);
        }

        var locked = await PasswordAsync(staff.Email, staff.Password);
        Assert.Equal(StaffRefusal.TooManyAttempts, locked.Failure!.Code);
        Assert.NotNull(locked.Failure.RetryAfter);

        fixture.App.Clock.Advance(TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(1));
        Assert.NotNull((await PasswordAsync(staff.Email, staff.Password)).Value?.Member);
    }

    /// <summary>The code an authenticator app shows for a key at the host's (fake) time.</summary>
    private string CodeFor(string key, TimeSpan? offset = null) =>
        new Totp(Base32Encoding.ToBytes(key.Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant()))
            .ComputeTotp((fixture.App.Clock.GetUtcNow() + (offset ?? TimeSpan.Zero)).UtcDateTime);

    private static string Other(string code) => code == "000000" ? "111111" : "000000";

    /// <summary>A member enrolled through one attempt, at the start of a fresh 30-second step; answers the key and the recovery codes.</summary>
    private async Task<(TestStaff Staff, string Key, IReadOnlyList<string> RecoveryCodes)> EnrolledAsync()
    {
        var staff = await fixture.App.StaffAsync();
        NextStep();
        var enrolment = await WithAccountsAsync(a => a.BeginEnrolmentAsync(staff.User.Id, null, CancellationToken.None));
        var enrolled = await WithAccountsAsync(a => a.CompleteEnrolmentAsync(staff.User.Id, enrolment!.Key, CodeFor(enrolment.Key), CancellationToken.None));
        Assert.True(enrolled.Succeeded, enrolled.Failure?.Detail);
        return (staff, enrolment!.Key, enrolled.Value!.RecoveryCodes!);
    }

    /// <summary>Moves the clock to the start of the next 30-second step.</summary>
    private void NextStep()
    {
        var now = fixture.App.Clock.GetUtcNow().ToUnixTimeSeconds();
        fixture.App.Clock.Advance(TimeSpan.FromSeconds(30 - (now % 30)));
    }

    [Fact]
    public async Task Wrong_passwords_from_one_address_do_not_keep_the_member_out_from_another()
    {
        var staff = await fixture.App.StaffAsync();
        for (var i = 0; i < 6; i++)
        {
            await WithAccountsAsync(a => a.CheckPasswordAsync(staff.Email, $"wrong guess {i}", "203.0.113.77", CancellationToken.None));
        }

        Assert.Equal(StaffRefusal.TooManyAttempts,
            (await WithAccountsAsync(a => a.CheckPasswordAsync(staff.Email, staff.Password, "203.0.113.77", CancellationToken.None))).Failure!.Code);
        Assert.NotNull((await WithAccountsAsync(a => a.CheckPasswordAsync(staff.Email, staff.Password, "198.51.100.41", CancellationToken.None))).Value?.Member);
    }

    [Fact]
    public async Task Enrolment_needs_a_right_code_wrong_codes_lock_out_and_each_recovery_code_works_once()
    {
        var staff = await fixture.App.StaffAsync();
        var enrolment = await WithAccountsAsync(a => a.BeginEnrolmentAsync(staff.User.Id, null, CancellationToken.None));
        Assert.StartsWith("otpauth://totp/", enrolment!.AuthenticatorUri, StringComparison.Ordinal);
        Assert.Contains(Uri.EscapeDataString(staff.Email), enrolment.AuthenticatorUri, StringComparison.Ordinal);
        Assert.Contains($"secret={enrolment.Key}&", enrolment.AuthenticatorUri, StringComparison.Ordinal);
        Assert.Equal(enrolment.Key, enrolment.SharedKey.Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant());
        string Code() => CodeFor(enrolment.Key);

        Assert.Equal(StaffRefusal.InvalidCode,
            (await WithAccountsAsync(a => a.CompleteEnrolmentAsync(staff.User.Id, enrolment.Key, Other(Code()), CancellationToken.None))).Failure!.Code);
        var enrolled = await WithAccountsAsync(a => a.CompleteEnrolmentAsync(staff.User.Id, enrolment.Key, Code(), CancellationToken.None));
        Assert.Equal(10, enrolled.Value!.RecoveryCodes!.Distinct().Count());
        Assert.True(enrolled.Value.Member.HasAuthenticator);
        Assert.Null(await WithAccountsAsync(a => a.BeginEnrolmentAsync(staff.User.Id, null, CancellationToken.None))); // enrolled once
        Assert.Null(await WithAccountsAsync(a => a.BeginEnrolmentAsync(staff.User.Id, enrolment.Key, CancellationToken.None)));

        // Recovery codes are stored as salted hashes: none of them is in the database as shown, and no two entries alike.
        await using (var connection = new Npgsql.NpgsqlConnection(fixture.Database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand($"SELECT value FROM identity.staff_user_tokens WHERE user_id = '{staff.User.Id}' AND name = 'RecoveryCodes'", connection);
            var stored = (string)(await command.ExecuteScalarAsync())!;
            Assert.DoesNotContain(enrolled.Value!.RecoveryCodes!, c => stored.Contains(c, StringComparison.OrdinalIgnoreCase) ||
                                                              stored.Contains(c.Replace("-", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase));
            var entries = stored.Split(';').Skip(1).ToList();
            Assert.Equal(10, entries.Count);
            Assert.Equal(10, entries.Select(e => e.Split(':')[0]).Distinct().Count()); // a salt of its own each
            var sha256 = enrolled.Value!.RecoveryCodes!.Select(c => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(c))));
            Assert.DoesNotContain(sha256, h => stored.Contains(h, StringComparison.Ordinal));
        }

        var recovery = enrolled.Value!.RecoveryCodes![0];
        var first = await WithAccountsAsync(a => a.VerifySecondFactorAsync(staff.User.Id, recovery.ToUpperInvariant(), CancellationToken.None));
        Assert.True(first.Value!.UsedRecoveryCode);
        Assert.Equal(9, first.Value.RecoveryCodesLeft);
        Assert.Equal(StaffRefusal.InvalidCode, (await WithAccountsAsync(a => a.VerifySecondFactorAsync(staff.User.Id, recovery, CancellationToken.None))).Failure!.Code);
        // Every other code still works, once each.
        var second = await WithAccountsAsync(a => a.VerifySecondFactorAsync(staff.User.Id, enrolled.Value.RecoveryCodes![7], CancellationToken.None));
        Assert.True(second.Value!.UsedRecoveryCode);
        Assert.Equal(8, second.Value.RecoveryCodesLeft);

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(StaffRefusal.InvalidCode, (await WithAccountsAsync(a => a.VerifySecondFactorAsync(staff.User.Id, $"guess-{i}", CancellationToken.None))).Failure!.Code);
        }

        // Five wrong codes in a row: even the right code waits for the lockout to end.
        Assert.Equal(StaffRefusal.TooManyAttempts, (await WithAccountsAsync(a => a.VerifySecondFactorAsync(staff.User.Id, Code(), CancellationToken.None))).Failure!.Code);
        fixture.App.Clock.Advance(TimeSpan.FromMinutes(16));
        Assert.NotNull((await WithAccountsAsync(a => a.VerifySecondFactorAsync(staff.User.Id, Code(), CancellationToken.None))).Value?.Member);
    }

    [Fact]
    public async Task Two_browsers_with_the_password_get_keys_of_their_own_and_only_the_one_that_enrols_opens_anything()
    {
        var staff = await fixture.App.StaffAsync();
        var member = await WithAccountsAsync(a => a.BeginEnrolmentAsync(staff.User.Id, null, CancellationToken.None));
        var attacker = await WithAccountsAsync(a => a.BeginEnrolmentAsync(staff.User.Id, null, CancellationToken.None));
        Assert.NotEqual(member!.Key, attacker!.Key);
        // Nothing is stored before a code completes an attempt: a later look finds no key to show.
        Assert.Equal(0L, await CountTokensAsync(staff.User.Id));
        // An attempt that comes back shows its own key again, not another's.
        Assert.Equal(member.Key, (await WithAccountsAsync(a => a.BeginEnrolmentAsync(staff.User.Id, member.Key, CancellationToken.None)))!.Key);

        NextStep();
        Assert.True((await WithAccountsAsync(a => a.CompleteEnrolmentAsync(staff.User.Id, member.Key, CodeFor(member.Key), CancellationToken.None))).Succeeded);

        // The other attempt can no longer finish, and codes made with its key open nothing, now or later.
        Assert.False((await WithAccountsAsync(a => a.CompleteEnrolmentAsync(staff.User.Id, attacker.Key, CodeFor(attacker.Key), CancellationToken.None))).Succeeded);
        NextStep();
        Assert.Equal(StaffRefusal.InvalidCode,
            (await WithAccountsAsync(a => a.VerifySecondFactorAsync(staff.User.Id, CodeFor(attacker.Key), CancellationToken.None))).Failure!.Code);
        Assert.NotNull((await WithAccountsAsync(a => a.VerifySecondFactorAsync(staff.User.Id, CodeFor(member.Key), CancellationToken.None))).Value?.Member);
        Assert.Equal(2L, await CountTokensAsync(staff.User.Id)); // the key and the recovery codes
    }

    [Fact]
    public async Task A_code_is_accepted_once_an_earlier_one_never_and_a_code_one_step_off_is_still_accepted()
    {
        var (staff, key, _) = await EnrolledAsync();
        Task<Outcome<StaffCheck>> Verify(string code) => WithAccountsAsync(a => a.VerifySecondFactorAsync(staff.User.Id, code, CancellationToken.None));

        // The enrolment used this step's code: it opens nothing a second time.
        Assert.Equal(StaffRefusal.InvalidCode, (await Verify(CodeFor(key))).Failure!.Code);

        NextStep();
        var code = CodeFor(key);
        Assert.True((await Verify(code)).Succeeded);
        Assert.Equal(StaffRefusal.InvalidCode, (await Verify(code)).Failure!.Code); // replayed within its window
        Assert.Equal(StaffRefusal.InvalidCode, (await Verify(CodeFor(key, TimeSpan.FromSeconds(-30)))).Failure!.Code); // an earlier step

        // A phone a step ahead is accepted (±1 step), and then the step it used is spent too.
        NextStep();
        Assert.True((await Verify(CodeFor(key, TimeSpan.FromSeconds(30)))).Succeeded);
        fixture.App.Clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(StaffRefusal.InvalidCode, (await Verify(CodeFor(key))).Failure!.Code);
        // Two steps off is outside the window.
        NextStep();
        Assert.Equal(StaffRefusal.InvalidCode, (await Verify(CodeFor(key, TimeSpan.FromSeconds(60)))).Failure!.Code);
        Assert.True((await Verify(CodeFor(key))).Succeeded);
    }

    [Fact]
    public async Task A_code_used_on_one_host_is_refused_on_another_and_of_two_at_once_only_one_succeeds()
    {
        var (staff, key, recovery) = await EnrolledAsync();
        await using var other = IdunoxApp.OnPostgres(fixture.Database);
        other.Clock.SetUtcNow(fixture.App.Clock.GetUtcNow());
        async Task<Outcome<StaffCheck>> VerifyOn(IdunoxApp app, string code)
        {
            await using var scope = app.Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<IStaffAccounts>().VerifySecondFactorAsync(staff.User.Id, code, CancellationToken.None);
        }

        NextStep();
        other.Clock.SetUtcNow(fixture.App.Clock.GetUtcNow());
        var code = CodeFor(key);
        Assert.True((await VerifyOn(fixture.App, code)).Succeeded);
        Assert.Equal(StaffRefusal.InvalidCode, (await VerifyOn(other, code)).Failure!.Code);

        NextStep();
        other.Clock.SetUtcNow(fixture.App.Clock.GetUtcNow());
        code = CodeFor(key);
        var both = await Task.WhenAll(VerifyOn(fixture.App, code), VerifyOn(other, code));
        Assert.Single(both, c => c.Succeeded);

        var twice = await Task.WhenAll(VerifyOn(fixture.App, recovery[3]), VerifyOn(other, recovery[3]));
        Assert.Single(twice, c => c.Value is { UsedRecoveryCode: true });
    }

    private async Task<long> CountTokensAsync(Guid userId)
    {
        await using var connection = new Npgsql.NpgsqlConnection(fixture.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand($"SELECT count(*) FROM identity.staff_user_tokens WHERE user_id = '{userId}'", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task A_session_ends_when_the_security_stamp_changes()
    {
        var staff = await fixture.App.StaffAsync();
        var member = (await PasswordAsync(staff.Email, staff.Password)).Value?.Member!;
        Assert.NotNull(await WithAccountsAsync(a => a.FindSessionMemberAsync(member.Id, member.SecurityStamp, CancellationToken.None)));
        Assert.Null(await WithAccountsAsync(a => a.FindSessionMemberAsync(member.Id, "another stamp", CancellationToken.None)));
        Assert.Null(await WithAccountsAsync(a => a.FindSessionMemberAsync(Guid.NewGuid(), member.SecurityStamp, CancellationToken.None)));
    }
}
