import { Flags } from '@oclif/core'
import { BaseCommand } from '../base-command.js'
import { globalFlags } from '../flags.js'
import { aboutInfo, aboutMarkdown, aboutText } from '../../about.js'
import { SingerOutput } from '../../singer/output.js'

export default class About extends BaseCommand {
  static override summary = "Print the tap's name, version, capabilities and settings."
  static override flags = {
    ...globalFlags,
    format: Flags.string({
      description: 'Output format.',
      options: ['text', 'json', 'markdown'],
      default: 'text',
    }),
    config: Flags.string({
      multiple: true,
      hidden: true,
      description: 'Accepted and ignored (Meltano may pass it).',
    }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(About)
    const info = aboutInfo(this.config.version)
    const text =
      flags.format === 'json'
        ? JSON.stringify(info, null, 2) + '\n'
        : flags.format === 'markdown'
          ? aboutMarkdown(info)
          : aboutText(info)
    await new SingerOutput().write(text)
  }
}
