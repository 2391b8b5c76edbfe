// Renders an EJS view from views/ into the response. Every page shares the layout partials and the
// one stylesheet; views get only the locals passed here, escaped by EJS's <%= %>. Compiled views are
// kept for the life of the process in every environment: views/ ships with the build and changes
// only with a restart, and compiling a page and its partials anew cost about a millisecond of the
// event loop per page, two pages per sign-in.
import { join } from 'node:path';
import ejs from 'ejs';
import type { Context } from 'koa';
import { projectRoot } from '../project-root.js';

export const viewsFolder = join(projectRoot, 'views');

export type PageLocals = Record<string, unknown> & { title: string };

export async function renderPage(ctx: Context, view: string, locals: PageLocals, status = 200): Promise<void> {
  const html = await ejs.renderFile(join(viewsFolder, `${view}.ejs`), locals, { async: true, cache: true });
  ctx.status = status;
  ctx.type = 'html';
  ctx.body = html;
}
