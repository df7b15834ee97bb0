namespace Idunox.Notifications.Tests;

/// <summary>A host on PostgreSQL (Hangfire's PostgreSQL storage included) that mails through a real SMTP server in the test process.</summary>
public sealed class SmtpAppFixture : PostgresAppFixture
{
    public TestSmtpServer Smtp { get; } = new TestSmtpServer().Start();

    protected override IReadOnlyDictionary<string, string?> Settings => Smtp.Settings;

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Smtp.DisposeAsync();
    }
}
