namespace Idunox.Testing;

/// <summary>The e-mails a test host wrote to its pickup folder (<see cref="IdunoxApp.MailDirectory"/>).</summary>
public static class Mail
{
    /// <summary>The e-mails to one address, waiting up to 10 s for at least <paramref name="atLeast"/> (a background sender writes them).</summary>
    public static async Task<IReadOnlyList<MimeKit.MimeMessage>> MailToAsync(this IdunoxApp app, string recipient, int atLeast = 1)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var found = Directory.Exists(app.MailDirectory)
                ? Directory.GetFiles(app.MailDirectory, "*.eml").Select(f => MimeKit.MimeMessage.Load(f))
                    .Where(m => m.To.Mailboxes.Any(a => string.Equals(a.Address, recipient, StringComparison.OrdinalIgnoreCase))).ToList()
                : [];
            if (found.Count >= atLeast || waited.Elapsed > TimeSpan.FromSeconds(10))
            {
                return found;
            }

            await Task.Delay(50); // written by the background sender
        }
    }
}
