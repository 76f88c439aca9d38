import { ApiProperty } from '@nestjs/swagger';
import { UserView } from '../../users/user.view.js';

export class LoginResponseDto {
  @ApiProperty({ description: 'Session token; also sent in the Authorization response header' }) token!: string;
  @ApiProperty({ description: 'Seconds until the session expires' }) expiresIn!: number;
  @ApiProperty({ type: UserView, description: 'The same object as GET /users/me' }) user!: UserView;
}
